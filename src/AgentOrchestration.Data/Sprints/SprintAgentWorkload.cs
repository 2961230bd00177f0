namespace AgentOrchestration.Data.Sprints;

/// <summary>One agent's share of a sprint (items whose <c>assigned_agent_id</c> is the agent).</summary>
/// <param name="AgentId">The agent.</param>
/// <param name="Slug">The agent's slug.</param>
/// <param name="Items">How many of the sprint's items are assigned to the agent.</param>
/// <param name="OpenItems">How many of them are neither <c>done</c> nor <c>cancelled</c>.</param>
/// <param name="EstimatedHours">The sum of their estimates (missing estimates count as 0).</param>
/// <param name="ActualHours">The sum of their recorded hours.</param>
public sealed record SprintAgentWorkload(Guid AgentId, string Slug, int Items, int OpenItems, decimal EstimatedHours, decimal ActualHours);
