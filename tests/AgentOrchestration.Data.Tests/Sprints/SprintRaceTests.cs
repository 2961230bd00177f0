using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Tests.Sprints;

/// <summary>Concurrent starts of different sprints of one project: exactly one becomes active.</summary>
public sealed class SprintRaceTests(DatabaseProvider provider) : SprintFixture(provider)
{
    [Test]
    public async Task Of_sprints_started_at_once_exactly_one_becomes_active()
    {
        for (var round = 0; round < 3; round++)
        {
            var sprints = new List<Sprint>();
            for (var i = 0; i < 6; i++)
            {
                sprints.Add(await PlanAsync($"round {round} sprint {i}"));
            }

            var outcomes = await Task.WhenAll(sprints.Select(sprint => Task.Run(async () =>
            {
                try
                {
                    await SprintsAsync(s => s.StartAsync(sprint.Id));
                    return (Started: (Guid?)sprint.Id, Named: (Guid?)null);
                }
                catch (SprintAlreadyActiveException refused)
                {
                    return (Started: null, Named: (Guid?)refused.ActiveSprintId);
                }
            })));

            var started = outcomes.Where(o => o.Started is not null).Select(o => o.Started!.Value).ToList();
            Assert.That(started, Has.Count.EqualTo(1));
            Assert.That(outcomes.Where(o => o.Named is not null).Select(o => o.Named), Is.All.EqualTo(started[0]), "every refusal names the winner");
            await using (var db = CreateContext())
            {
                Assert.That(await db.Sprints.Where(s => s.Status == SprintStatus.Active).Select(s => s.Id).ToListAsync(), Is.EqualTo(started));
                Assert.That(await db.Events.CountAsync(e => e.Type == "sprint.started"), Is.EqualTo(round + 1));
            }

            await SprintsAsync(s => s.CompleteAsync(started[0]));
        }
    }
}
