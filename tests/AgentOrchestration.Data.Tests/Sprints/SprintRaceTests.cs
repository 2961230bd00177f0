using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Sprints;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

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
                Assert.That(await db.Events.CountAsync(e => e.Type == OrchestrationEventTypes.SprintStarted), Is.EqualTo(round + 1));
            }

            await SprintsAsync(s => s.CompleteAsync(started[0]));
        }
    }

    [Test]
    public async Task A_writer_bypassing_the_library_is_stopped_by_the_unique_index_and_reported_the_same_way()
    {
        if (Provider != DatabaseProvider.PostgreSql)
        {
            Assert.Ignore("Only PostgreSQL lets another writer hold an uncommitted activation while the library checks (SQLite has one writer at a time).");
        }

        var outside = await PlanAsync("outside");
        var ours = await PlanAsync("ours");
        var events = await EventTypesAsync();

        // A raw writer activates a sprint without the library's lock and keeps its transaction open: the library's
        // check cannot see it yet, so only the unique index can stop the second activation.
        await using var raw = CreateContext();
        await using var transaction = await raw.Database.BeginTransactionAsync();
        var row = await raw.Sprints.SingleAsync(s => s.Id == outside.Id);
        row.Status = SprintStatus.Active;
        await raw.SaveChangesAsync();

        var start = Task.Run(() => SprintsAsync(s => s.StartAsync(ours.Id)));
        await using (var probe = CreateContext())
        {
            // Wait (bounded) until the library's write waits on the raw writer's index entry.
            for (var i = 0; i < 500 && !start.IsCompleted && Convert.ToInt64(await RawSql.ScalarAsync(probe, "SELECT COUNT(*) FROM pg_locks WHERE NOT granted"), System.Globalization.CultureInfo.InvariantCulture) == 0; i++)
            {
                await Task.Delay(20);
            }
        }

        await transaction.CommitAsync();
        var refused = Assert.ThrowsAsync<SprintAlreadyActiveException>(async () => await start);
        Assert.That((refused!.ActiveSprintId, refused.RequestedSprintId), Is.EqualTo((outside.Id, ours.Id)));
        await using var db = CreateContext();
        Assert.That(await db.Sprints.Where(s => s.Status == SprintStatus.Active).Select(s => s.Id).ToListAsync(), Is.EqualTo(new[] { outside.Id }));
        Assert.That(await EventTypesAsync(), Is.EqualTo(events));
    }

    [Test]
    public async Task Inside_a_callers_transaction_the_index_refusal_is_reported_the_same_way_and_the_transaction_lives_on()
    {
        if (Provider != DatabaseProvider.PostgreSql)
        {
            Assert.Ignore("Only PostgreSQL lets another writer hold an uncommitted activation while the library checks (SQLite has one writer at a time).");
        }

        var outside = await PlanAsync("outside");
        var ours = await PlanAsync("ours");
        await using var raw = CreateContext();
        await using var rawTransaction = await raw.Database.BeginTransactionAsync();
        var row = await raw.Sprints.SingleAsync(s => s.Id == outside.Id);
        row.Status = SprintStatus.Active;
        await raw.SaveChangesAsync();

        // The caller starts our sprint inside its own transaction; the unique index fires there.
        await using var scope = Services.CreateAsyncScope();
        var hostDb = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        await using var hostTransaction = await hostDb.Database.BeginTransactionAsync();
        var start = scope.ServiceProvider.GetRequiredService<ISprintService>().StartAsync(ours.Id);
        await PostgresWaits.UntilBlockedAsync(Database);
        await rawTransaction.CommitAsync();

        var refused = Assert.ThrowsAsync<SprintAlreadyActiveException>(async () => await start);
        Assert.That((refused!.ActiveSprintId, refused.RequestedSprintId), Is.EqualTo((outside.Id, ours.Id)));
        Assert.That(await hostDb.Sprints.CountAsync(s => s.Status == SprintStatus.Active), Is.EqualTo(1), "the caller's transaction is still usable");
        await hostTransaction.CommitAsync();
        await using var db = CreateContext();
        Assert.That(await db.Sprints.Where(s => s.Status == SprintStatus.Active).Select(s => s.Id).ToListAsync(), Is.EqualTo(new[] { outside.Id }));
    }
}
