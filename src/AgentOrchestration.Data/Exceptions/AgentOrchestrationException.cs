namespace AgentOrchestration.Data;

/// <summary>The base of every exception AgentOrchestration.Data throws for a refused operation; the database is unchanged when it is thrown.</summary>
public abstract class AgentOrchestrationException : InvalidOperationException
{
    /// <summary>Initializes a new instance of the <see cref="AgentOrchestrationException"/> class.</summary>
    /// <param name="message">What was refused, naming the offending value and what is allowed.</param>
    protected AgentOrchestrationException(string message)
        : base(message)
    {
    }
}
