using System.Globalization;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Locks;

/// <summary>
/// The hot-path shape of acquire and release: on SQLite one write transaction of at most three statements and nothing
/// else (no LINQ query before or after it), on PostgreSQL one round trip; and what the fast paths write is, to the
/// byte, what the general path writes (the session's list and the events, with text JSON escapes and whole-second times).
/// </summary>
public sealed class FileLockStatementTests(DatabaseProvider provider) : LockFixture(provider)
{
    [Test]
    public async Task Acquire_and_release_are_one_write_transaction_of_at_most_three_statements_on_SQLite_and_one_round_trip_on_PostgreSQL()
    {
        var project = await ProjectAsync();
        var session = await SessionAsync(project);
        var other = await SessionAsync(project);
        await AcquireAsync(other, FileLockType.Shared, "lib/**", "tools/*.cs");

        await using var scope = Services.CreateAsyncScope();
        var locks = scope.ServiceProvider.GetRequiredService<IFileLockService>();
        using var trace = await SqliteTrace.StartAsync(scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>());
        using var trips = new NpgsqlTrips(Database);
        await locks.AcquireAsync(session.SessionId, ["warm.cs"], FileLockType.Shared, Ttl);
        await locks.ReleaseAsync(session.SessionId, ["warm.cs"]);

        var counted = new List<(string Operation, IReadOnlyList<string> Ran, int Trips)>();
        async Task CountAsync(string operation, Func<Task> call)
        {
            var before = trips.Count;
            var ran = await trace.RecordAsync(call);
            counted.Add((operation, ran, trips.Count - before));
        }

        // Shared next to the other session's shared locks: granted, after the conflict check read them.
        await CountAsync("acquire", () => locks.AcquireAsync(session.SessionId, ["src/a.cs", "docs/", "lib/x.cs"], FileLockType.Shared, Ttl));
        await CountAsync("release", () => locks.ReleaseAsync(session.SessionId, ["docs/**", "not/held.cs"]));
        await CountAsync("release of nothing held", () => locks.ReleaseAsync(session.SessionId, ["not/held.cs"]));

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

        Assert.That((await RowsAsync(session)).Select(r => r.FilePath), Is.EqualTo(new[] { "lib/x.cs", "src/a.cs" }));
        Assert.That((await EventsAsync(OrchestrationEventTypes.FileLockReleased)).Where(e => e.Actor == session.SessionId).Select(e => e.Payload!.Data[0].Value),
            Is.EqualTo(new[] { "warm.cs", "docs/**" }));
        await AssertJsonInStepAsync(session);
        await AssertJsonInStepAsync(other);
    }

    [Test]
    public async Task The_fast_acquire_and_release_write_the_text_the_general_path_writes()
    {
        // At a whole second (no fraction in the stored times), with paths whose JSON text has escapes.
        var project = await ProjectAsync();
        var fast = await SessionAsync(project, withAgent: false);
        var general = await SessionAsync(project, withAgent: false);
        string[] paths = ["docs/café \"q\".md", "src/ü/**", "日本/a?.txt", "Zeta.cs"];

        // An expired lock sends the second session's acquire to the general path (it purges it first).
        await AcquireAsync(general, FileLockType.Shared, "old.cs");
        await using (var context = CreateContext())
        {
            await context.FileLocks.Where(l => l.LockedBySession == general.SessionId).ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAt, Clock.GetUtcNow()));
        }

        await AcquireAsync(fast, FileLockType.Shared, paths);
        await AcquireAsync(general, FileLockType.Shared, paths);
        Assert.That(await EventsAsync(OrchestrationEventTypes.FileLockExpired), Has.Count.EqualTo(1), "the second acquire took the general path");
        Assert.That(await ListAsync(fast), Is.EqualTo(await ListAsync(general)), "agent_sessions.file_locks");
        await AssertSameEventsAsync(OrchestrationEventTypes.FileLockAcquired, fast, general);

        // Inside a caller's transaction a release takes the general path.
        await LocksAsync(l => l.ReleaseAsync(fast.SessionId, [paths[0], paths[2], "not/held.cs"]));
        await using (var scope = Services.CreateAsyncScope())
        {
            var context = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
            await using var transaction = await context.Database.BeginTransactionAsync();
            await scope.ServiceProvider.GetRequiredService<IFileLockService>().ReleaseAsync(general.SessionId, [paths[0], paths[2], "not/held.cs"]);
            await transaction.CommitAsync();
        }

        Assert.That(await ListAsync(fast), Is.EqualTo(await ListAsync(general)), "agent_sessions.file_locks after the release");
        await AssertSameEventsAsync(OrchestrationEventTypes.FileLockReleased, fast, general);

        // Releasing the rest empties the list as the general path does.
        await LocksAsync(l => l.ReleaseAsync(fast.SessionId, [paths[1], paths[3]]));
        await LocksAsync(l => l.ReleaseAllAsync(general.SessionId));
        Assert.That(await ListAsync(fast), Is.EqualTo(await ListAsync(general)).And.Not.Null, "the emptied list");
        await AssertJsonInStepAsync(fast);
        await AssertJsonInStepAsync(general);
    }

    [Test]
    public async Task A_session_that_never_held_a_lock_releases_nothing_and_gets_the_empty_list_the_general_path_writes()
    {
        var project = await ProjectAsync();
        var fast = await SessionAsync(project);
        var general = await SessionAsync(project);

        var released = await LocksAsync(l => l.ReleaseAsync(fast.SessionId, ["src/a.cs"]));
        await using (var scope = Services.CreateAsyncScope())
        {
            var context = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
            await using var transaction = await context.Database.BeginTransactionAsync();
            await scope.ServiceProvider.GetRequiredService<IFileLockService>().ReleaseAsync(general.SessionId, ["src/a.cs"]);
            await transaction.CommitAsync();
        }

        Assert.Multiple(async () =>
        {
            Assert.That(released, Is.Empty);
            Assert.That(await ListAsync(fast), Is.EqualTo(await ListAsync(general)));
            Assert.That(await EventsAsync(OrchestrationEventTypes.FileLockReleased), Is.Empty);
        });
    }

    /// <summary>The events of one type of the two sessions: the same payload text (session ids aside), times and order.</summary>
    private async Task AssertSameEventsAsync(string type, AgentSession fast, AgentSession general)
    {
        // The general session's set-up lock aside.
        var events = (await EventsAsync(type)).Where(e => e.Payload!.Data.All(d => d.Value != "old.cs")).ToList();
        var ofFast = events.Where(e => e.Actor == fast.SessionId).ToList();
        var ofGeneral = events.Where(e => e.Actor == general.SessionId).ToList();
        Assert.That(ofFast, Is.Not.Empty);
        Assert.That(ofFast.Select(e => e.OccurredAt), Is.EqualTo(ofGeneral.Select(e => e.OccurredAt)), type);
        var fastPayloads = new List<string?>();
        foreach (var e in ofFast)
        {
            fastPayloads.Add((await PayloadAsync(e))?.Replace(fast.SessionId, general.SessionId, StringComparison.Ordinal));
        }

        var generalPayloads = new List<string?>();
        foreach (var e in ofGeneral)
        {
            generalPayloads.Add(await PayloadAsync(e));
        }

        Assert.That(fastPayloads, Is.EqualTo(generalPayloads), $"{type} payloads, in order");
    }

    private async Task<string?> ListAsync(AgentSession session)
    {
        await using var context = CreateContext();
        return Convert.ToString(await RawSql.ScalarAsync(context, $"SELECT file_locks FROM agent_sessions WHERE session_id = '{session.SessionId}'"), CultureInfo.InvariantCulture);
    }

    private async Task<string?> PayloadAsync(OrchestrationEvent e)
    {
        await using var context = CreateContext();
        return Convert.ToString(await RawSql.ScalarAsync(context, $"SELECT payload FROM orchestration_events WHERE sequence = {e.Sequence}"), CultureInfo.InvariantCulture);
    }
}
