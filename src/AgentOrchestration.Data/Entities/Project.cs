namespace AgentOrchestration.Data.Entities;

/// <summary>A project: the scope of work items, sprints, backlog items, sessions and file locks (table <c>projects</c>).</summary>
public class Project
{
    /// <summary>Gets or sets the identifier (UUID v7).</summary>
    public Guid Id { get; set; }

    /// <summary>Gets or sets the short unique key, such as <c>core-api</c>.</summary>
    public string Key { get; set; } = null!;

    /// <summary>Gets or sets the display name.</summary>
    public string Name { get; set; } = null!;

    /// <summary>Gets or sets an optional description.</summary>
    public string? Description { get; set; }

    /// <summary>Gets or sets when the project was created (UTC).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Gets or sets when the project was last updated (UTC).</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Gets the project's sprints.</summary>
    public ICollection<Sprint> Sprints { get; } = [];

    /// <summary>Gets the project's work items.</summary>
    public ICollection<WorkItem> WorkItems { get; } = [];

    /// <summary>Gets the project's backlog items.</summary>
    public ICollection<BacklogItem> BacklogItems { get; } = [];
}
