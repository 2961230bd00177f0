using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Backlog;

/// <summary>What the analysing agent found, recorded by <see cref="IBacklogService.RecordAnalysisAsync"/>.</summary>
/// <param name="Agent">The agent recording it; must be the agent the item is assigned to (1 to 200 characters).</param>
public sealed record BacklogAnalysis(string Agent)
{
    /// <summary>Gets the risk score from 0 to 100; <see langword="null"/> computes it with the registered <see cref="IBacklogRiskStrategy"/>.</summary>
    public int? RiskScore { get; init; }

    /// <summary>Gets the revised complexity; <see langword="null"/> keeps the submitted one.</summary>
    public Complexity? Complexity { get; init; }

    /// <summary>Gets the analysis notes (at most 20000 characters); <see langword="null"/> keeps the stored notes.</summary>
    public string? PrimeNotes { get; init; }
}
