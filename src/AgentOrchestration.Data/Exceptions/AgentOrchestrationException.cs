namespace AgentOrchestration.Data;

/// <summary>
/// The base of every exception AgentOrchestration.Data throws for a refused operation; the database is unchanged when it
/// is thrown. A refusal is final for the request as it was made: retrying it unchanged is refused again. It is not an
/// <see cref="InvalidOperationException"/>, so a caller can tell a refusal from a fault (faults of the database connection
/// or server are <see cref="AgentOrchestrationTransientException"/>; see docs/reliability.md).
/// </summary>
public abstract class AgentOrchestrationException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="AgentOrchestrationException"/> class.</summary>
    /// <param name="message">What was refused, naming the offending value and what is allowed.</param>
    protected AgentOrchestrationException(string message)
        : base(message)
    {
    }
}
