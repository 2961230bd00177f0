namespace AgentOrchestration.Data.Entities;

/// <summary>The kind of a work item, stored as <c>epic</c>, <c>story</c>, <c>task</c> or <c>bug</c>.</summary>
public enum WorkItemType
{
    /// <summary>A large body of work that groups stories.</summary>
    Epic,

    /// <summary>A user-facing increment that groups tasks.</summary>
    Story,

    /// <summary>A unit of work an agent implements.</summary>
    Task,

    /// <summary>A defect to fix.</summary>
    Bug,
}
