namespace AgentOrchestration.Data.Entities;

/// <summary>One change in a work item's delegation (an element of the JSON array <c>delegation_history</c>).</summary>
public class DelegationHistoryEntry
{
    /// <summary>Gets or sets when the change happened (UTC).</summary>
    public DateTimeOffset At { get; set; }

    /// <summary>Gets or sets the action, such as <c>assign</c>, <c>start</c>, <c>pause</c>, <c>reassign</c>, <c>complete</c> or <c>cancel</c>.</summary>
    public string Action { get; set; } = null!;

    /// <summary>Gets or sets the delegation status before the change.</summary>
    public DelegationStatus? FromStatus { get; set; }

    /// <summary>Gets or sets the delegation status after the change.</summary>
    public DelegationStatus ToStatus { get; set; }

    /// <summary>Gets or sets the assignee's kind after the change.</summary>
    public AssigneeType? AssigneeType { get; set; }

    /// <summary>Gets or sets the assignee's identifier after the change.</summary>
    public Guid? AssigneeId { get; set; }

    /// <summary>Gets or sets the assignment the change concerns.</summary>
    public Guid? AssignmentId { get; set; }

    /// <summary>Gets or sets who made the change.</summary>
    public string? Actor { get; set; }

    /// <summary>Gets or sets a note about the change.</summary>
    public string? Note { get; set; }
}
