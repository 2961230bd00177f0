namespace AgentOrchestration.Data;

/// <summary>
/// Thrown when an operation failed because of a fault of the database connection or server (a restart, a dropped
/// connection, a serialization failure or deadlock the library could not retry, a SQLite database locked beyond its
/// timeout, an I/O error), after the library retried what was safe to retry (see <c>RetryOptions</c>). It is not a
/// refusal: the same request may succeed later. <see cref="MayHaveCommitted"/> says whether the change may have been
/// written; the original fault is the <see cref="Exception.InnerException"/>.
/// </summary>
public sealed class AgentOrchestrationTransientException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="AgentOrchestrationTransientException"/> class.</summary>
    /// <param name="operation">The operation that failed, such as <c>IWorkClaimer.CompleteAsync</c>.</param>
    /// <param name="mayHaveCommitted">Whether the fault came while (or after) the change was being committed, so it may have been written.</param>
    /// <param name="attempts">How many times the library ran the operation.</param>
    /// <param name="innerException">The fault itself, such as an <c>NpgsqlException</c>.</param>
    public AgentOrchestrationTransientException(string operation, bool mayHaveCommitted, int attempts, Exception innerException)
        : base(Describe(operation, mayHaveCommitted, attempts, innerException), innerException)
    {
        Operation = operation;
        MayHaveCommitted = mayHaveCommitted;
        Attempts = attempts;
    }

    /// <summary>Gets the operation that failed, as <c>interface.method</c>, such as <c>IWorkClaimer.CompleteAsync</c>.</summary>
    public string Operation { get; }

    /// <summary>
    /// Gets a value indicating whether the change may have been written: <see langword="false"/> when the library knows
    /// nothing was committed (the fault came before the commit, the operation only reads, or the caller's own transaction
    /// was in progress and is now unusable); <see langword="true"/> when the commit's outcome is unknown and the library
    /// could not check it. Then read the state back before repeating a change that is not idempotent (a claim made with an
    /// idempotency key is: repeat it with the same key).
    /// </summary>
    public bool MayHaveCommitted { get; }

    /// <summary>Gets how many times the library ran the operation before giving up.</summary>
    public int Attempts { get; }

    private static string Describe(string operation, bool mayHaveCommitted, int attempts, Exception innerException)
    {
        ArgumentNullException.ThrowIfNull(innerException);
        var outcome = mayHaveCommitted
            ? "it may have committed: read the state back before repeating a change that is not idempotent"
            : "nothing was committed: the same request may be repeated";
        return $"{operation} failed after {attempts} attempt{(attempts == 1 ? string.Empty : "s")} because of a fault of the database connection or server ({innerException.GetType().Name}: {innerException.Message}); {outcome}.";
    }
}
