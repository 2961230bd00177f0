using System.Globalization;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Sessions;

/// <summary>
/// The hot-path shape of a heartbeat: on SQLite one write transaction of at most three statements and nothing else (no
/// LINQ query before or after it), on PostgreSQL one round trip; and the event it writes is, to the byte, the general path's.
/// </summary>
public sealed class HeartbeatStatementTests(DatabaseProvider provider) : SessionFixture(provider)
{
    [Test]
    public async Task A_heartbeat_is_one_write_transaction_of_at_most_three_statements_on_SQLite_and_one_round_trip_on_PostgreSQL()
    {
        var session = await StartAsync(Agent.Id);
        await AddItemAsync();
        var claimed = (await ClaimAsync(Agent.Id))!;

        await using var scope = Services.CreateAsyncScope();
        var sessions = scope.ServiceProvider.GetRequiredService<ISessionService>();
        using var trace = await SqliteTrace.StartAsync(scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>());
        using var trips = new NpgsqlTrips(Database);
        await sessions.HeartbeatAsync(session.SessionId);

        var counted = new List<(string Operation, IReadOnlyList<string> Ran, int Trips)>();
        async Task CountAsync(string operation, Func<Task> call)
        {
            var before = trips.Count;
            var ran = await trace.RecordAsync(call);
            counted.Add((operation, ran, trips.Count - before));
        }

        Clock.Advance(TimeSpan.FromMinutes(1));
        await CountAsync("heartbeat with a new action", () => sessions.HeartbeatAsync(session.SessionId, "coding", TimeSpan.FromMinutes(30)));
        Clock.Advance(TimeSpan.FromMinutes(1));
        await CountAsync("heartbeat", () => sessions.HeartbeatAsync(session.SessionId, leaseDuration: TimeSpan.FromMinutes(30)));
        foreach (var (operation, ran, count) in counted)
        {
            if (Provider == DatabaseProvider.Sqlite)
            {
                SqliteTrace.AssertOneTransaction(ran, 3, operation);
            }
            else
            {
                Assert.That(count, Is.EqualTo(1), $"{operation}: round trips");
            }
        }

        await using var db = CreateContext();
        var lease = await db.TaskAssignments.AsNoTracking().SingleAsync(a => a.Id == claimed.Lease.AssignmentId);
        var stored = await db.AgentSessions.AsNoTracking().SingleAsync(s => s.SessionId == session.SessionId);
        Assert.Multiple(async () =>
        {
            Assert.That(lease.LeaseExpiresAt, Is.EqualTo(Clock.GetUtcNow() + TimeSpan.FromMinutes(30)), "the owned lease renewed by each heartbeat");
            Assert.That(stored.LastHeartbeatAt, Is.EqualTo(Clock.GetUtcNow()));
            Assert.That(stored.CurrentAction, Is.EqualTo("coding"));
            Assert.That(await db.Events.CountAsync(e => e.Type == OrchestrationEventTypes.SessionActionChanged), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task The_fast_heartbeat_writes_the_action_event_the_general_path_writes()
    {
        // Two sessions of one agent; the second heartbeats inside a caller's transaction, which takes the general path.
        var fast = await StartAsync(Agent.Id);
        var general = await StartAsync(Agent.Id);
        const string Action = "editing \"café\" → 日本";
        Clock.Advance(TimeSpan.FromTicks(1_234_560));

        await WithSessionsAsync(s => s.HeartbeatAsync(fast.SessionId, Action));
        await using (var scope = Services.CreateAsyncScope())
        {
            var context = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
            await using var transaction = await context.Database.BeginTransactionAsync();
            await scope.ServiceProvider.GetRequiredService<ISessionService>().HeartbeatAsync(general.SessionId, Action);
            await transaction.CommitAsync();
        }

        await using var db = CreateContext();
        var events = await db.Events.AsNoTracking().Where(e => e.Type == OrchestrationEventTypes.SessionActionChanged).OrderBy(e => e.Sequence).ToListAsync();
        Assert.That(events.Select(e => e.Actor), Is.EqualTo(new[] { fast.SessionId, general.SessionId }));
        var payloads = new List<string?>();
        foreach (var e in events)
        {
            payloads.Add(Convert.ToString(await RawSql.ScalarAsync(db, $"SELECT payload FROM orchestration_events WHERE sequence = {e.Sequence}"), CultureInfo.InvariantCulture));
        }

        Assert.Multiple(() =>
        {
            Assert.That(payloads[0]!.Replace(fast.SessionId, general.SessionId, StringComparison.Ordinal), Is.EqualTo(payloads[1]), "the payload text");
            Assert.That(events[0].OccurredAt, Is.EqualTo(events[1].OccurredAt));
            Assert.That(events[0].EntityId, Is.EqualTo(fast.Id));
            Assert.That(events[0].ProjectId, Is.EqualTo(Project.Id));
            Assert.That(events[0].EntityType, Is.EqualTo(events[1].EntityType));
        });
    }
}
