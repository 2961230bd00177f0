using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Sprints;

/// <summary>What <see cref="ISprintService.CompleteAsync"/> did.</summary>
/// <param name="Sprint">The completed sprint.</param>
/// <param name="FinishedItemIds">The items that stay in the sprint: <c>done</c> or <c>cancelled</c>.</param>
/// <param name="ReturnedItemIds">The unfinished items taken out of the sprint (their <c>sprint_id</c> is now empty), ready to plan into another.</param>
public sealed record SprintCompletion(Sprint Sprint, IReadOnlyList<Guid> FinishedItemIds, IReadOnlyList<Guid> ReturnedItemIds);
