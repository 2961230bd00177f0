using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Sprints;

/// <summary>A sprint's progress, read by <see cref="ISprintService.GetProgressAsync"/>; every item planned into the sprint counts, whatever its type.</summary>
/// <param name="SprintId">The sprint.</param>
/// <param name="ProjectId">The sprint's project.</param>
/// <param name="Name">The sprint's name.</param>
/// <param name="Status">The sprint's status.</param>
/// <param name="StartsAt">When the sprint starts or started.</param>
/// <param name="EndsAt">When the sprint ends or ended.</param>
/// <param name="ItemsByStatus">How many items are in each work item status; every status is present, 0 when none.</param>
/// <param name="EstimatedHours">The sum of the items' estimates (missing estimates count as 0).</param>
/// <param name="DoneEstimatedHours">The sum of the estimates of the <c>done</c> items, to compare with <paramref name="EstimatedHours"/> for a burn-down.</param>
/// <param name="ActualHours">The sum of the hours recorded on the items.</param>
/// <param name="Agents">Each assigned agent's workload, by slug.</param>
/// <param name="UnassignedItems">How many items have no agent assigned (unassigned, or assigned to a host user).</param>
public sealed record SprintProgress(
    Guid SprintId,
    Guid ProjectId,
    string Name,
    SprintStatus Status,
    DateTimeOffset? StartsAt,
    DateTimeOffset? EndsAt,
    IReadOnlyDictionary<WorkItemStatus, int> ItemsByStatus,
    decimal EstimatedHours,
    decimal DoneEstimatedHours,
    decimal ActualHours,
    IReadOnlyList<SprintAgentWorkload> Agents,
    int UnassignedItems)
{
    /// <summary>Gets how many items the sprint holds.</summary>
    public int TotalItems => ItemsByStatus.Values.Sum();

    /// <summary>Gets how many items are <c>done</c>.</summary>
    public int DoneItems => ItemsByStatus.GetValueOrDefault(WorkItemStatus.Done);
}
