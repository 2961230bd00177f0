namespace AgentOrchestration.Data;

/// <summary>
/// Thrown when a holder writes with a fencing token that is no longer current: its lease expired and the work item was
/// returned to the queue or claimed by someone else. The holder must stop working on the item.
/// </summary>
public sealed class LeaseLostException : AgentOrchestrationException
{
    /// <summary>Initializes a new instance of the <see cref="LeaseLostException"/> class.</summary>
    /// <param name="workItemId">The work item.</param>
    /// <param name="fencingToken">The token the caller presented.</param>
    /// <param name="reason">Why the token is no longer current.</param>
    public LeaseLostException(Guid workItemId, long fencingToken, string reason)
        : base($"The lease with fencing token {fencingToken} on work item '{workItemId}' is no longer held: {reason}")
    {
        WorkItemId = workItemId;
        FencingToken = fencingToken;
    }

    /// <summary>Gets the work item.</summary>
    public Guid WorkItemId { get; }

    /// <summary>Gets the token the caller presented.</summary>
    public long FencingToken { get; }
}
