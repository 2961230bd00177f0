using AgentOrchestration.Data.Backlog;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Tests.Backlog;

/// <summary>Agents racing for one backlog item: one analyst wins, one promotion creates a story.</summary>
public sealed class BacklogRaceTests(DatabaseProvider provider) : BacklogFixture(provider)
{
    private const int Racers = 8;

    [Test]
    public async Task Of_agents_taking_the_same_item_for_analysis_exactly_one_wins()
    {
        for (var round = 0; round < 3; round++)
        {
            var item = await SubmitAsync();
            var outcomes = await Task.WhenAll(Enumerable.Range(0, Racers).Select(i => Task.Run(async () =>
            {
                try
                {
                    await BacklogAsync(b => b.StartAnalysisAsync(item.Id, $"analyst-{i}"));
                    return $"analyst-{i}";
                }
                catch (InvalidStateTransitionException refused) when (refused.Current == "analyzing")
                {
                    return null;
                }
            })));

            var winners = outcomes.Where(o => o is not null).ToList();
            Assert.That(winners, Has.Count.EqualTo(1));
            await using var db = CreateContext();
            var stored = await db.Backlog.SingleAsync(b => b.Id == item.Id);
            Assert.That((stored.Status, stored.AssignedToAgent), Is.EqualTo((BacklogStatus.Analyzing, winners[0])));
            Assert.That(await db.Events.CountAsync(e => e.EntityId == item.Id && e.Type == OrchestrationEventTypes.BacklogAnalysisStarted), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task Concurrent_promotions_of_one_item_create_one_story()
    {
        for (var round = 0; round < 3; round++)
        {
            var item = await ItemInAsync(BacklogStatus.Ready);
            var outcomes = await Task.WhenAll(Enumerable.Range(0, Racers).Select(i => Task.Run(async () =>
            {
                try
                {
                    return (Story: (Guid?)(await BacklogAsync(b => b.PromoteAsync(item.Id, new BacklogPromotion($"prime-{i}")))).Id, Loser: (Guid?)null);
                }
                catch (BacklogItemPromotedException refused)
                {
                    return (Story: null, Loser: (Guid?)refused.StoryId);
                }
            })));

            var stories = outcomes.Where(o => o.Story is not null).Select(o => o.Story!.Value).ToList();
            Assert.That(stories, Has.Count.EqualTo(1));
            Assert.That(outcomes.Where(o => o.Loser is not null).Select(o => o.Loser), Is.All.EqualTo(stories[0]), "every loser learns the winner's story");
            await using var db = CreateContext();
            Assert.That(await db.WorkItems.CountAsync(w => w.CreatedFromBacklogId == item.Id), Is.EqualTo(1));
            Assert.That(await db.Events.CountAsync(e => e.EntityId == item.Id && e.Type == OrchestrationEventTypes.BacklogPromoted), Is.EqualTo(1));
        }
    }
}
