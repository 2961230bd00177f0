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

    [Test]
    public async Task Renew_release_all_and_a_refused_acquire_are_one_write_transaction_on_SQLite_and_one_round_trip_each_on_PostgreSQL()
    {
        var project = await ProjectAsync();
        var session = await SessionAsync(project);
        var other = await SessionAsync(project);
        var empty = await SessionAsync(project);
        await AcquireAsync(other, FileLockType.Exclusive, "lib/**");

        await using var scope = Services.CreateAsyncScope();
        var locks = scope.ServiceProvider.GetRequiredService<IFileLockService>();
        using var trace = await SqliteTrace.StartAsync(scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>());
        using var trips = new NpgsqlTrips(Database);
        await locks.AcquireAsync(session.SessionId, ["src/a.cs", "docs/**"], FileLockType.Exclusive, Ttl);
        await locks.RenewAsync(session.SessionId, Ttl);

        var counted = new List<(string Operation, IReadOnlyList<string> Ran, int Trips)>();
        async Task CountAsync(string operation, Func<Task> call)
        {
            var before = trips.Count;
            var ran = await trace.RecordAsync(call);
            counted.Add((operation, ran, trips.Count - before));
        }

        Clock.Advance(TimeSpan.FromMinutes(1));
        IReadOnlyList<FileLockInfo> renewed = [];
        IReadOnlyList<FileLockInfo> released = [];
        await CountAsync("renew", async () => renewed = await locks.RenewAsync(session.SessionId, Ttl));
        await CountAsync("renew of nothing held", () => locks.RenewAsync(empty.SessionId, Ttl));
        await CountAsync("release all", async () => released = await locks.ReleaseAllAsync(session.SessionId));
        await CountAsync("release all of nothing held", () => locks.ReleaseAllAsync(empty.SessionId));

        FileLockConflictException? refused = null;
        var before = await SnapshotAsync();
        var refusalTrips = trips.Count;
        var refusal = await trace.RecordAsync(async () =>
        {
            try
            {
                await locks.AcquireAsync(session.SessionId, ["lib/a.cs"], FileLockType.Shared, Ttl);
            }
            catch (FileLockConflictException e)
            {
                refused = e;
            }
        });
        refusalTrips = trips.Count - refusalTrips;

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

        Assert.That(refused, Is.Not.Null, "the acquire was refused");
        Assert.That(refused!.Conflicts.Select(c => c.HolderSessionId), Is.EqualTo(new[] { other.SessionId }));
        if (Provider == DatabaseProvider.Sqlite)
        {
            // One write transaction, rolled back: BEGIN, at most three statements, ROLLBACK, and no LINQ query around it.
            var text = "refused acquire ran:\n  " + string.Join("\n  ", refusal);
            Assert.Multiple(() =>
            {
                Assert.That(refusal[0], Does.StartWith("BEGIN"), text);
                Assert.That(refusal[^1], Does.StartWith("ROLLBACK"), text);
                Assert.That(refusal.Count(s => s.StartsWith("BEGIN", StringComparison.OrdinalIgnoreCase)), Is.EqualTo(1), text);
                Assert.That(refusal.Count - 2, Is.LessThanOrEqualTo(3), text);
            });
        }
        else
        {
            Assert.That(refusalTrips, Is.EqualTo(1), "refused acquire: round trips");
        }

        Assert.Multiple(async () =>
        {
            Assert.That(renewed.Select(l => (l.Path, l.ExpiresAt)), Is.EqualTo(new[] { ("docs/**", (DateTimeOffset?)Clock.GetUtcNow() + Ttl), ("src/a.cs", Clock.GetUtcNow() + Ttl) }));
            Assert.That(released.Select(l => l.Path), Is.EqualTo(new[] { "docs/**", "src/a.cs" }));
            Assert.That(await RowsAsync(session), Is.Empty);
            Assert.That(await SnapshotAsync(), Is.EqualTo(before), "the refusal wrote nothing");
        });
        await AssertJsonInStepAsync(session);
        await AssertJsonInStepAsync(empty);
    }

    [Test]
    public async Task A_refused_acquire_names_every_conflict_in_the_order_and_words_the_general_path_uses()
    {
        var project = await ProjectAsync();
        var asker = await SessionAsync(project);
        var b = await SessionAsync(project);
        var c = await SessionAsync(project, withAgent: false);
        var d = await SessionAsync(project);
        var bShared = (await AcquireAsync(b, FileLockType.Shared, "src/**")).Single();
        var bExclusive = (await AcquireAsync(b, FileLockType.Exclusive, "docs/*.md")).Single();
        var cShared = (await AcquireAsync(c, FileLockType.Shared, "src/z.cs")).Single();
        await AcquireAsync(d, FileLockType.Exclusive, "lib/x.cs");

        // A lock that has expired never blocks; one of the asker's own that has expired does not change the refusal.
        await AcquireAsync(d, FileLockType.Exclusive, "tmp/**");
        await AcquireAsync(asker, FileLockType.Exclusive, "mine.cs");
        await using (var context = CreateContext())
        {
            await context.FileLocks.Where(l => l.FilePath == "tmp/**" || l.FilePath == "mine.cs").ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAt, Clock.GetUtcNow()));
        }

        Clock.Advance(TimeSpan.FromSeconds(1));
        var before = await SnapshotAsync();
        var refused = Assert.ThrowsAsync<FileLockConflictException>(() =>
            LocksAsync(l => l.AcquireAsync(asker.SessionId, ["src/z.cs", "docs/a.md", "lib/y.cs", "tmp/a.cs"], FileLockType.Exclusive, Ttl)))!;

        // What the general path reports, and so every refusal: by requested path as asked, then by held path and holder.
        var expected = new FileLockConflictException(asker.SessionId,
        [
            new FileLockConflict("src/z.cs", FileLockType.Exclusive, bShared),
            new FileLockConflict("src/z.cs", FileLockType.Exclusive, cShared),
            new FileLockConflict("docs/a.md", FileLockType.Exclusive, bExclusive),
        ]);
        Assert.Multiple(async () =>
        {
            Assert.That(refused.Message, Is.EqualTo(expected.Message));
            Assert.That(refused.Conflicts.Select(Describe), Is.EqualTo(expected.Conflicts.Select(Describe)));
            Assert.That(await SnapshotAsync(), Is.EqualTo(before), "the refusal wrote nothing (the asker's expired lock is still there)");
            Assert.That(await EventsAsync(OrchestrationEventTypes.FileLockExpired), Is.Empty);
        });

        static string Describe(FileLockConflict c) =>
            $"{c.RequestedPath} {c.RequestedType} {c.HeldPath} {c.HeldType} {c.HolderSessionId} {c.HolderAgentId} {c.ExpiresAt:O} {c.HeldLockId}";
    }

    [Test]
    public async Task The_fast_refusal_names_what_the_general_path_names_and_writes_nothing_as_it_does()
    {
        var project = await ProjectAsync();
        var asker = await SessionAsync(project);
        var b = await SessionAsync(project);
        var c = await SessionAsync(project, withAgent: false);
        await AcquireAsync(b, FileLockType.Exclusive, "src/**", "srcx/a.cs", "docs/*.md");
        await AcquireAsync(c, FileLockType.Shared, "lib/y.cs", "docs/b.txt");
        await AcquireAsync(asker, FileLockType.Shared, "mine.cs", "tools/x.cs");

        // One of the asker's own has expired (the general path would purge it if it granted), and the others have moved on.
        await using (var context = CreateContext())
        {
            await context.FileLocks.Where(l => l.FilePath == "mine.cs").ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAt, Clock.GetUtcNow()));
        }

        Clock.Advance(TimeSpan.FromSeconds(1));
        await using var scope = Services.CreateAsyncScope();
        var locks = scope.ServiceProvider.GetRequiredService<IFileLockService>();
        await locks.GetLocksAsync(project.Id); // opens the scope's connection
        using var trips = new NpgsqlTrips(Database);

        // 'srcx/a.cs' passes PostgreSQL's prefix test for 'src/**' but does not overlap: judged exactly, it is no conflict.
        // A path with a character at or above U+E000 sends PostgreSQL's acquisition to the general path: it conflicts with nothing.
        string[] asked = ["src/**", "docs/a.md", "lib/**", "tools/x.cs"];
        var before = await SnapshotAsync();
        FileLockConflictException? fast = null;
        FileLockConflictException? general = null;
        var fastTrips = await trips.CountAsync(() => Task.FromResult(fast = Refused(asked)));
        var generalTrips = await trips.CountAsync(() => Task.FromResult(general = Refused([.. asked, "zz/\uE001.cs"])));

        if (Provider == DatabaseProvider.PostgreSql)
        {
            Assert.That((fastTrips, generalTrips > 1), Is.EqualTo((1, true)), "the fast refusal is one round trip, the general path's more");
        }

        Assert.Multiple(async () =>
        {
            Assert.That(fast!.Message, Is.EqualTo(general!.Message));
            Assert.That(fast.Conflicts.Select(Describe), Is.EqualTo(general.Conflicts.Select(Describe)));
            Assert.That(fast.Conflicts.Select(x => (x.RequestedPath, x.HeldPath)), Is.EqualTo(new[]
            {
                ("src/**", "src/**"), ("docs/a.md", "docs/*.md"), ("lib/**", "lib/y.cs"),
            }));
            Assert.That(await SnapshotAsync(), Is.EqualTo(before), "neither refusal wrote anything (the asker's expired lock is still there)");
            Assert.That(await EventsAsync(OrchestrationEventTypes.FileLockExpired), Is.Empty);
        });

        FileLockConflictException Refused(string[] paths) =>
            Assert.ThrowsAsync<FileLockConflictException>(() => locks.AcquireAsync(asker.SessionId, paths, FileLockType.Exclusive, Ttl))!;

        static string Describe(FileLockConflict c) =>
            $"{c.RequestedPath} {c.RequestedType} {c.HeldPath} {c.HeldType} {c.HolderSessionId} {c.HolderAgentId} {c.ExpiresAt:O} {c.HeldLockId}";
    }

    [Test]
    public async Task The_fast_renew_and_release_all_write_and_return_what_the_general_path_does()
    {
        var project = await ProjectAsync();
        var fast = await SessionAsync(project, withAgent: false);
        var general = await SessionAsync(project, withAgent: false);
        string[] paths = ["docs/café \"q\".md", "src/ü/**", "日本/a?.txt", "Zeta.cs"];
        await AcquireAsync(fast, FileLockType.Shared, paths);
        await AcquireAsync(general, FileLockType.Shared, paths);
        await LocksAsync(l => l.AcquireAsync(fast.SessionId, ["ex.cs"], FileLockType.Shared, TimeSpan.FromMinutes(3)));
        await LocksAsync(l => l.AcquireAsync(general.SessionId, ["ex.cs"], FileLockType.Shared, TimeSpan.FromMinutes(3)));

        // An expired lock sends the second session's renewal to the general path (it purges it first).
        await AcquireAsync(general, FileLockType.Shared, "old.cs");
        await using (var context = CreateContext())
        {
            await context.FileLocks.Where(l => l.LockedBySession == general.SessionId && l.FilePath == "old.cs").ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAt, Clock.GetUtcNow()));
        }

        // Renewed at a time with microseconds: the previous expiries are whole seconds, the new ones are not.
        Clock.Advance(TimeSpan.FromTicks(12_345_670));
        var fastRenewed = await LocksAsync(l => l.RenewAsync(fast.SessionId, TimeSpan.FromMinutes(7)));
        var generalRenewed = await LocksAsync(l => l.RenewAsync(general.SessionId, TimeSpan.FromMinutes(7)));
        Assert.That(await EventsAsync(OrchestrationEventTypes.FileLockExpired), Has.Count.EqualTo(1), "the second renewal took the general path");
        Assert.That(Returned(fastRenewed), Is.EqualTo(Returned(generalRenewed)), "what renew returns");
        Assert.That(await ListAsync(fast), Is.EqualTo(await ListAsync(general)), "agent_sessions.file_locks after the renewal");
        await AssertSameEventsAsync(OrchestrationEventTypes.FileLockRenewed, fast, general);

        // Inside a caller's transaction a release of all takes the general path.
        Clock.Advance(TimeSpan.FromSeconds(1));
        var fastReleased = await LocksAsync(l => l.ReleaseAllAsync(fast.SessionId));
        IReadOnlyList<FileLockInfo> generalReleased;
        await using (var scope = Services.CreateAsyncScope())
        {
            var context = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
            await using var transaction = await context.Database.BeginTransactionAsync();
            generalReleased = await scope.ServiceProvider.GetRequiredService<IFileLockService>().ReleaseAllAsync(general.SessionId);
            await transaction.CommitAsync();
        }

        Assert.That(Returned(fastReleased), Is.EqualTo(Returned(generalReleased)), "what release-all returns");
        Assert.That(await ListAsync(fast), Is.EqualTo(await ListAsync(general)).And.Not.Null, "the emptied list");
        await AssertSameEventsAsync(OrchestrationEventTypes.FileLockReleased, fast, general);
        await AssertJsonInStepAsync(fast);
        await AssertJsonInStepAsync(general);

        static IEnumerable<string> Returned(IReadOnlyList<FileLockInfo> locks) =>
            locks.Select(l => $"{l.Path} {l.LockType} {l.AcquiredAt:O} {l.ExpiresAt:O} {l.AgentId} {l.ProjectId}");
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
