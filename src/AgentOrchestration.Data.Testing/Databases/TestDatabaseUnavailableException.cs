namespace AgentOrchestration.Data.Testing;

/// <summary>
/// Thrown by <see cref="OrchestrationTestDatabase.CreateAsync"/> outside CI when no PostgreSQL server is configured: map it
/// to your framework's skip (NUnit <c>Assert.Ignore</c>, xUnit v3 <c>SkipExceptions</c> or <c>Assert.Skip</c>, MSTest
/// <c>Assert.Inconclusive</c>). Under CI the same situation throws an <see cref="InvalidOperationException"/> instead, so
/// the test fails rather than being skipped.
/// </summary>
public sealed class TestDatabaseUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TestDatabaseUnavailableException()
        : base("No test database server is configured.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is missing and how to provide it.</param>
    public TestDatabaseUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What is missing and how to provide it.</param>
    /// <param name="innerException">The cause.</param>
    public TestDatabaseUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
