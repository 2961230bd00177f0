namespace AgentOrchestration.Data.Entities;

/// <summary>A dependency: <see cref="WorkItemId"/> is blocked until <see cref="DependsOnId"/> is done (table <c>work_item_dependencies</c>).</summary>
public class WorkItemDependency
{
    /// <summary>Gets or sets the waiting item's identifier.</summary>
    public Guid WorkItemId { get; set; }

    /// <summary>Gets or sets the identifier of the item it waits on.</summary>
    public Guid DependsOnId { get; set; }

    /// <summary>Gets or sets when the dependency was added (UTC).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Gets or sets the waiting item.</summary>
    public WorkItem? WorkItem { get; set; }

    /// <summary>Gets or sets the item waited on.</summary>
    public WorkItem? DependsOn { get; set; }
}
