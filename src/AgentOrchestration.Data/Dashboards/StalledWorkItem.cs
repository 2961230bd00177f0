using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Dashboards;

/// <summary>A work item that needs attention: it is blocked, or it is under way and has not changed for longer than the stale threshold.</summary>
/// <param name="Id">The work item's identifier.</param>
/// <param name="Type">Epic, story, task or bug.</param>
/// <param name="Title">The title.</param>
/// <param name="Status">The workflow status.</param>
/// <param name="DelegationStatus">The delegation status.</param>
/// <param name="Priority">The priority, 1 (critical) to 5.</param>
/// <param name="SprintId">The sprint, if any.</param>
/// <param name="AssignedAgentId">The agent holding it, if an agent does.</param>
/// <param name="AssignedAgentSlug">That agent's slug.</param>
/// <param name="UpdatedAt">When the item last changed (UTC).</param>
/// <param name="Idle">How long ago that was, by the registered clock; never negative.</param>
/// <param name="IsBlocked">Whether the item's workflow or delegation status is <c>blocked</c>.</param>
/// <param name="IsStale">Whether the item has not changed for longer than the threshold asked for.</param>
public sealed record StalledWorkItem(
    Guid Id,
    WorkItemType Type,
    string Title,
    WorkItemStatus Status,
    DelegationStatus DelegationStatus,
    int Priority,
    Guid? SprintId,
    Guid? AssignedAgentId,
    string? AssignedAgentSlug,
    DateTimeOffset UpdatedAt,
    TimeSpan Idle,
    bool IsBlocked,
    bool IsStale);
