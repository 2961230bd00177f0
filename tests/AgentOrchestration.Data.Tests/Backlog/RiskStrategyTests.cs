using AgentOrchestration.Data.Backlog;
using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Tests.Backlog;

/// <summary>The documented formula of <see cref="DefaultBacklogRiskStrategy"/>: its range, bands and order.</summary>
public sealed class RiskStrategyTests
{
    private readonly DefaultBacklogRiskStrategy strategy = new();

    [TestCase(Complexity.Simple, 1, 5, 5)]
    [TestCase(Complexity.Simple, 10, 1, 25)]
    [TestCase(Complexity.Moderate, 5, 3, 39)]
    [TestCase(Complexity.Complex, 10, 1, 75)]
    [TestCase(Complexity.HighRisk, 1, 5, 80)]
    [TestCase(Complexity.HighRisk, 10, 1, 100)]
    [TestCase(Complexity.Moderate, 6, 2, 44)]
    public void Scores_as_documented(Complexity complexity, int businessValue, int priority, int expected) =>
        Assert.That(strategy.Score(new BacklogRiskFactors(complexity, businessValue, priority)), Is.EqualTo(expected));

    [Test]
    public void Bands_never_overlap_and_value_and_urgency_only_raise_the_score()
    {
        var complexities = Enum.GetValues<Complexity>();
        for (var c = 0; c < complexities.Length; c++)
        {
            var scores = (from value in Enumerable.Range(1, 10) from priority in Enumerable.Range(1, 5)
                          select (value, priority, score: strategy.Score(new BacklogRiskFactors(complexities[c], value, priority)))).ToList();
            Assert.That(scores.All(s => s.score is >= 5 and <= 100), Is.True);
            if (c + 1 < complexities.Length)
            {
                var nextMin = Enumerable.Range(1, 10).SelectMany(v => Enumerable.Range(1, 5).Select(p => strategy.Score(new BacklogRiskFactors(complexities[c + 1], v, p)))).Min();
                Assert.That(scores.Max(s => s.score), Is.LessThan(nextMin), $"{complexities[c]} stays below {complexities[c + 1]}");
            }

            foreach (var (value, priority, score) in scores)
            {
                if (value < 10)
                {
                    Assert.That(strategy.Score(new BacklogRiskFactors(complexities[c], value + 1, priority)), Is.GreaterThanOrEqualTo(score));
                }

                if (priority > 1)
                {
                    Assert.That(strategy.Score(new BacklogRiskFactors(complexities[c], value, priority - 1)), Is.GreaterThanOrEqualTo(score));
                }
            }
        }
    }
}
