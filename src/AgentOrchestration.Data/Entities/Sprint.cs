namespace AgentOrchestration.Data.Entities;

/// <summary>A time-boxed iteration of a project (table <c>sprints</c>).</summary>
public class Sprint
{
    /// <summary>Gets or sets the identifier (UUID v7).</summary>
    public Guid Id { get; set; }

    /// <summary>Gets or sets the owning project's identifier.</summary>
    public Guid ProjectId { get; set; }

    /// <summary>Gets or sets the name.</summary>
    public string Name { get; set; } = null!;

    /// <summary>Gets or sets the sprint goal.</summary>
    public string? Goal { get; set; }

    /// <summary>Gets or sets when the sprint starts (UTC).</summary>
    public DateTimeOffset? StartsAt { get; set; }

    /// <summary>Gets or sets when the sprint ends (UTC).</summary>
    public DateTimeOffset? EndsAt { get; set; }

    /// <summary>Gets or sets the status; <see cref="SprintStatus.Planned"/> by default.</summary>
    public SprintStatus Status { get; set; }

    /// <summary>Gets or sets when the sprint was created (UTC).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Gets or sets when the sprint was last updated (UTC).</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Gets or sets the owning project.</summary>
    public Project? Project { get; set; }

    /// <summary>Gets the work items planned into this sprint.</summary>
    public ICollection<WorkItem> WorkItems { get; } = [];
}
