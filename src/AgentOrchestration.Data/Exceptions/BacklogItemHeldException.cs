namespace AgentOrchestration.Data;

/// <summary>Thrown when an agent changes a backlog item that another agent is analysing; only the analysing agent records, concludes or releases its analysis.</summary>
public sealed class BacklogItemHeldException : AgentOrchestrationException
{
    /// <summary>Initializes a new instance of the <see cref="BacklogItemHeldException"/> class.</summary>
    /// <param name="backlogItemId">The backlog item.</param>
    /// <param name="holder">The agent analysing it (<c>assigned_to_agent</c>).</param>
    /// <param name="agent">The agent that was refused.</param>
    /// <param name="operation">What was refused, such as <c>mark it ready</c>.</param>
    public BacklogItemHeldException(Guid backlogItemId, string? holder, string agent, string operation)
        : base($"The backlog item '{backlogItemId}' is being analysed by '{holder}', so '{agent}' cannot {operation}; only '{holder}' can record, conclude or release the analysis.")
    {
        BacklogItemId = backlogItemId;
        Holder = holder;
        Agent = agent;
    }

    /// <summary>Gets the backlog item.</summary>
    public Guid BacklogItemId { get; }

    /// <summary>Gets the agent analysing the item.</summary>
    public string? Holder { get; }

    /// <summary>Gets the agent that was refused.</summary>
    public string Agent { get; }
}
