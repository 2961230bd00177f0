namespace AgentOrchestration.Data.Sprints;

/// <summary>What <see cref="ISprintService.PlanAsync"/> needs to plan a sprint.</summary>
/// <param name="ProjectId">The project the sprint belongs to.</param>
/// <param name="Name">The name (1 to 200 characters).</param>
public sealed record SprintPlan(Guid ProjectId, string Name)
{
    /// <summary>Gets the sprint goal (at most 20000 characters).</summary>
    public string? Goal { get; init; }

    /// <summary>Gets when the sprint is planned to start (UTC); starting it fills a missing value with the start time.</summary>
    public DateTimeOffset? StartsAt { get; init; }

    /// <summary>Gets when the sprint is planned to end (UTC), after <see cref="StartsAt"/>; completing it fills a missing value with the completion time.</summary>
    public DateTimeOffset? EndsAt { get; init; }

    /// <summary>Gets who plans the sprint, recorded as the event's actor (1 to 200 characters, one line).</summary>
    public string? Actor { get; init; }
}
