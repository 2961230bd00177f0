using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Backlog;

/// <summary>
/// The default <see cref="IBacklogRiskStrategy"/>: risk = complexity base + value term + urgency term, from 5 to 100.
/// <list type="bullet">
/// <item>complexity base: simple 5, moderate 30, complex 55, high_risk 80 (how likely the work goes wrong);</item>
/// <item>value term: (business value − 1) × 10 / 9, 0 to 10 (how much a failure costs);</item>
/// <item>urgency term: (5 − priority) × 10 / 4, 0 to 10 (how little slack there is to recover);</item>
/// </list>
/// each term rounded half away from zero. The terms add at most 20 to a band 25 wide, so the complexity bands never
/// overlap (simple 5–25, moderate 30–50, complex 55–75, high_risk 80–100): a valuable, urgent simple item never
/// outranks a complex one, and within a band value and urgency order the items.
/// </summary>
public sealed class DefaultBacklogRiskStrategy : IBacklogRiskStrategy
{
    /// <inheritdoc/>
    public int Score(BacklogRiskFactors factors)
    {
        ArgumentNullException.ThrowIfNull(factors);
        var complexity = factors.Complexity switch
        {
            Complexity.Simple => 5,
            Complexity.Moderate => 30,
            Complexity.Complex => 55,
            Complexity.HighRisk => 80,
            _ => throw new ArgumentOutOfRangeException(nameof(factors), factors.Complexity, $"Allowed complexities: {string.Join(", ", Enum.GetNames<Complexity>())}."),
        };
        var value = Math.Clamp(factors.BusinessValue, 1, 10);
        var priority = Math.Clamp(factors.Priority, 1, 5);
        return complexity
            + (int)Math.Round((value - 1) * 10m / 9m, MidpointRounding.AwayFromZero)
            + (int)Math.Round((5 - priority) * 10m / 4m, MidpointRounding.AwayFromZero);
    }
}
