namespace AgentOrchestration.Data.Entities;

/// <summary>The delegation state of a work item, stored as <c>unassigned</c>, <c>assigned</c>, <c>in_progress</c>, <c>blocked</c> or <c>completed</c>.</summary>
public enum DelegationStatus
{
    /// <summary>No one holds the item.</summary>
    Unassigned,

    /// <summary>Assigned but not started.</summary>
    Assigned,

    /// <summary>The assignee is working on it.</summary>
    InProgress,

    /// <summary>Work is paused on a blocker.</summary>
    Blocked,

    /// <summary>The delegated work is finished.</summary>
    Completed,
}
