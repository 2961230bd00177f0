using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Backlog;

/// <summary>What an <see cref="IBacklogRiskStrategy"/> scores: a backlog item's complexity, business value and priority (all validated).</summary>
/// <param name="Complexity">The estimated complexity.</param>
/// <param name="BusinessValue">The business value from 1 to 10.</param>
/// <param name="Priority">The priority from 1 (critical) to 5 (nice to have).</param>
public sealed record BacklogRiskFactors(Complexity Complexity, int BusinessValue, int Priority);
