namespace AgentOrchestration.Data.Backlog;

/// <summary>
/// Computes a backlog item's default risk score when it is submitted and when an analysis records no score of its own.
/// The library registers <see cref="DefaultBacklogRiskStrategy"/> with <c>TryAdd</c>: register another implementation
/// before <c>AddAgentOrchestration</c> (or replace it after) to use your own.
/// </summary>
public interface IBacklogRiskStrategy
{
    /// <summary>Scores the risk of a backlog item.</summary>
    /// <param name="factors">The item's complexity, business value and priority.</param>
    /// <returns>A score from 0 (no risk) to 100; anything else is refused and nothing is written.</returns>
    int Score(BacklogRiskFactors factors);
}
