namespace AgentOrchestration.Data.Entities;

/// <summary>One assignment of a work item to an agent, with its lease (table <c>task_assignments</c>).</summary>
public class TaskAssignment
{
    /// <summary>Gets or sets the identifier (UUID v7).</summary>
    public Guid Id { get; set; }

    /// <summary>Gets or sets the work item's identifier.</summary>
    public Guid WorkItemId { get; set; }

    /// <summary>Gets or sets the agent's identifier.</summary>
    public Guid AgentId { get; set; }

    /// <summary>Gets or sets the host user who made the assignment, if a user did.</summary>
    public Guid? AssignedBy { get; set; }

    /// <summary>Gets or sets when the assignment was made (UTC).</summary>
    public DateTimeOffset AssignedAt { get; set; }

    /// <summary>Gets or sets when work started (UTC).</summary>
    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>Gets or sets when the assignment ended (UTC).</summary>
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>Gets or sets the status.</summary>
    public AssignmentStatus Status { get; set; }

    /// <summary>Gets or sets free-form notes.</summary>
    public string? Notes { get; set; }

    /// <summary>Gets or sets the assignment-specific context (JSON).</summary>
    public DelegationContext? Context { get; set; }

    /// <summary>Gets or sets when the holder's lease expires unless renewed (UTC).</summary>
    public DateTimeOffset? LeaseExpiresAt { get; set; }

    /// <summary>Gets or sets the fencing token: it grows with every claim of the work item, so a stale holder's writes can be refused.</summary>
    public long FencingToken { get; set; }

    /// <summary>Gets or sets the caller's idempotency key of the claim that made this assignment (a batch adds <c>#n</c>).</summary>
    public string? IdempotencyKey { get; set; }

    /// <summary>Gets or sets when the row was created (UTC).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Gets or sets when the row was last updated (UTC).</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Gets or sets the work item.</summary>
    public WorkItem? WorkItem { get; set; }

    /// <summary>Gets or sets the agent.</summary>
    public AgentProfile? Agent { get; set; }

    /// <summary>Gets a value indicating whether the assignment is assigned, started or paused.</summary>
    public bool IsActive => Status is AssignmentStatus.Assigned or AssignmentStatus.Started or AssignmentStatus.Paused;
}
