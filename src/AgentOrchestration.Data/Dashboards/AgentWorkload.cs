using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Dashboards;

/// <summary>What one agent holds in a project (or sprint) now: its active assignments and the hours of the work they hold.</summary>
/// <param name="AgentId">The agent's identifier.</param>
/// <param name="Slug">The agent's slug.</param>
/// <param name="Name">The agent's display name.</param>
/// <param name="AgentStatus">The agent's status.</param>
/// <param name="MaxConcurrentTasks">How many assignments the agent may hold at once, across all projects.</param>
/// <param name="ActiveAssignments">How many assignments it holds: assigned, started or paused, with a lease that has not expired or no lease.</param>
/// <param name="EstimatedHours">The sum of the estimated hours of the held work items (without an estimate: 0).</param>
/// <param name="ActualHours">The sum of the actual hours of the held work items so far (none yet: 0).</param>
public sealed record AgentWorkload(
    Guid AgentId,
    string Slug,
    string Name,
    AgentStatus AgentStatus,
    int MaxConcurrentTasks,
    int ActiveAssignments,
    decimal EstimatedHours,
    decimal ActualHours);
