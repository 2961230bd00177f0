namespace AgentOrchestration.Data.Entities;

/// <summary>Who a work item is assigned to, stored as <c>agent</c> or <c>user</c>.</summary>
public enum AssigneeType
{
    /// <summary>An agent profile of this library.</summary>
    Agent,

    /// <summary>A user of the host application (no foreign key).</summary>
    User,
}
