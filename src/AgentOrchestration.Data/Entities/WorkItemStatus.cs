namespace AgentOrchestration.Data.Entities;

/// <summary>The workflow status of a work item, stored as <c>todo</c>, <c>in_progress</c>, <c>blocked</c>, <c>in_review</c>, <c>done</c> or <c>cancelled</c>.</summary>
public enum WorkItemStatus
{
    /// <summary>Not started.</summary>
    Todo,

    /// <summary>Being worked on.</summary>
    InProgress,

    /// <summary>Waiting on something outside the item.</summary>
    Blocked,

    /// <summary>Implemented and waiting for review or QA.</summary>
    InReview,

    /// <summary>Finished; counts as completed for dependencies.</summary>
    Done,

    /// <summary>Abandoned.</summary>
    Cancelled,
}
