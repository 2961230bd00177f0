namespace AgentOrchestration.Data.Backlog;

/// <summary>How <see cref="IBacklogService.PromoteAsync"/> creates the story for a ready backlog item.</summary>
/// <param name="Agent">The agent promoting the item (1 to 200 characters); recorded as the event's actor.</param>
public sealed record BacklogPromotion(string Agent)
{
    /// <summary>Gets the epic the story belongs to, if any; an epic of the same project.</summary>
    public Guid? EpicId { get; init; }

    /// <summary>Gets the sprint to plan the story into, if any; a planned or active sprint of the same project.</summary>
    public Guid? SprintId { get; init; }

    /// <summary>Gets the estimated effort in hours (0 to 999999.99), if known.</summary>
    public decimal? EstimatedHours { get; init; }
}
