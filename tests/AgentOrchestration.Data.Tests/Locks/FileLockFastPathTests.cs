using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.PostgreSql.Locking;
using AgentOrchestration.Data.Storage;
using AgentOrchestration.Data.Tests.Infrastructure;
using Bogus;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Locks;

/// <summary>
/// The one-round-trip acquire and release (PostgreSQL; SQLite has only the general path and must behave the same): they
/// never grant what the general path would refuse, wait for the same locks, and write exactly what it writes.
/// </summary>
public sealed class FileLockFastPathTests(DatabaseProvider provider) : LockFixture(provider)
{
    // Overlapping pairs of many shapes (the fast path must refuse each, the general path then names the conflict).
    private static readonly (string A, string B)[] Overlapping =
    [
        ("src/**", "src/a.cs"), ("docs/*.md", "docs/x.md"), ("**/d.cs", "src/c/d.cs"), ("src/a.cs", "src/a.cs"), ("src/**", "src"), ("lib/?.cs", "lib/*"),
    ];

    [Test]
    [CancelAfter(120_000)]
    public async Task Two_sessions_acquiring_overlapping_locks_at_the_same_moment_are_never_both_granted(CancellationToken cancellationToken)
    {
        var project = await ProjectAsync();
        var first = await SessionAsync(project);
        var second = await SessionAsync(project, withAgent: false);
        await using var firstScope = Services.CreateAsyncScope();
        await using var secondScope = Services.CreateAsyncScope();
        var firstLocks = firstScope.ServiceProvider.GetRequiredService<IFileLockService>();
        var secondLocks = secondScope.ServiceProvider.GetRequiredService<IFileLockService>();

        for (var round = 0; round < 40; round++)
        {
            foreach (var (a, b) in Overlapping)
            {
                using var start = new Barrier(2);
                var results = await Task.WhenAll(
                    Task.Run(() => TryAcquireAsync(firstLocks, first, a, start, cancellationToken), cancellationToken),
                    Task.Run(() => TryAcquireAsync(secondLocks, second, b, start, cancellationToken), cancellationToken));
                Assert.That(results.Count(granted => granted), Is.EqualTo(1), $"round {round}: '{a}' and '{b}' overlap; exactly one session gets its lock");
                await firstLocks.ReleaseAllAsync(first.SessionId, cancellationToken);
                await secondLocks.ReleaseAllAsync(second.SessionId, cancellationToken);
            }
        }

        // The prefix test says "maybe" for these, and the general path grants both exactly.
        var apart = await Task.WhenAll(
            TryAcquireAsync(firstLocks, first, "src/**", null, cancellationToken),
            TryAcquireAsync(secondLocks, second, "srcx/a.cs", null, cancellationToken));
        Assert.That(apart, Is.All.True, "'src/**' and 'srcx/a.cs' do not overlap");
        await AssertJsonInStepAsync(first);
        await AssertJsonInStepAsync(second);
    }

    [Test]
    public async Task Acquire_and_release_are_one_round_trip_on_PostgreSQL_and_write_what_the_general_path_writes()
    {
        var project = await ProjectAsync();
        var session = await SessionAsync(project);
        var other = await SessionAsync(project);
        await AcquireAsync(other, FileLockType.Shared, "lib/**");

        // A time with microseconds, so the lists' and events' time formats are compared in full.
        Clock.Advance(TimeSpan.FromTicks(1_234_560));
        await using var scope = Services.CreateAsyncScope();
        var locks = scope.ServiceProvider.GetRequiredService<IFileLockService>();
        var context = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        await locks.GetLocksAsync(project.Id); // opens the scope's connection
        using var trips = new NpgsqlTrips(Database);

        var acquireTrips = await trips.CountAsync(() => locks.AcquireAsync(session.SessionId, ["src/a.cs", "docs/", "lib/x.cs"], FileLockType.Shared, Ttl));
        var fastList = await ListAsync(session);

        // Acquiring a held path again refreshes it, which only the general path does: it rewrites the list the EF way.
        await locks.AcquireAsync(session.SessionId, ["src/a.cs"], FileLockType.Shared, Ttl);
        Assert.That(await ListAsync(session), Is.EqualTo(fastList), "the fast path's agent_sessions.file_locks, as the general path writes it");

        var releaseTrips = await trips.CountAsync(() => locks.ReleaseAsync(session.SessionId, ["docs/**", "not/held.cs"]));
        var fastReleased = (await EventsAsync(OrchestrationEventTypes.FileLockReleased)).Single();
        var fastAfterRelease = await ListAsync(session);

        // Inside a caller's transaction the release takes the general path.
        await locks.AcquireAsync(session.SessionId, ["docs/**"], FileLockType.Shared, Ttl);
        await using (var transaction = await context.Database.BeginTransactionAsync())
        {
            await locks.ReleaseAsync(session.SessionId, ["docs/**", "not/held.cs"]);
            await transaction.CommitAsync();
        }

        var generalReleased = (await EventsAsync(OrchestrationEventTypes.FileLockReleased)).Last();
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(await ListAsync(session), Is.EqualTo(fastAfterRelease));
            Assert.That(await PayloadAsync(fastReleased), Is.EqualTo(await PayloadAsync(generalReleased)));
            Assert.That(fastReleased.OccurredAt, Is.EqualTo(generalReleased.OccurredAt));
            if (Provider == DatabaseProvider.PostgreSql)
            {
                Assert.That(acquireTrips, Is.EqualTo(1), "acquire round trips");
                Assert.That(releaseTrips, Is.EqualTo(1), "release round trips");
            }
        });

        var acquired = (await EventsAsync(OrchestrationEventTypes.FileLockAcquired)).Where(e => e.Actor == session.SessionId).ToList();
        Assert.That(acquired.Take(3).Select(e => e.Payload!.Data.Single(d => d.Key == "path").Value), Is.EqualTo(new[] { "src/a.cs", "docs/**", "lib/x.cs" }), "events in the order asked");
        Assert.That(acquired.Select(e => e.Payload!.Data.Single(d => d.Key == "expires_at").Value).Distinct(), Is.EqualTo(new[] { (Clock.GetUtcNow() + Ttl).UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture) }));
        await AssertJsonInStepAsync(session);
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task On_PostgreSQL_the_one_round_trip_acquire_waits_for_the_projects_lock_scope_and_then_sees_what_was_committed(CancellationToken cancellationToken)
    {
        if (Provider != DatabaseProvider.PostgreSql)
        {
            Assert.Ignore("The project's lock scope is a PostgreSQL advisory lock; SQLite has one writer.");
        }

        var project = await ProjectAsync();
        var holder = await SessionAsync(project);
        var asker = await SessionAsync(project);

        // Another writer of the project's locks holds its scope, and grants a lock the asker's pattern overlaps before it commits.
        await using var writer = CreateContext();
        await using var transaction = await writer.Database.BeginTransactionAsync(cancellationToken);
        await RawSql.ScalarAsync(writer, $"SELECT pg_advisory_xact_lock({PostgreSqlLocks.AdvisoryKey(LockScope.FileLocks(project.Id).Name)})");
        var acquiring = LocksAsync(l => l.AcquireAsync(asker.SessionId, ["src/**"], FileLockType.Exclusive, Ttl, cancellationToken));
        await PostgresWaits.UntilBlockedAsync(Database);
        writer.FileLocks.Add(new FileLock
        {
            ProjectId = project.Id,
            FilePath = "src/a.cs",
            LockedBySession = holder.SessionId,
            LockType = FileLockType.Exclusive,
            AcquiredAt = Clock.GetUtcNow(),
            ExpiresAt = Clock.GetUtcNow() + Ttl,
        });
        await writer.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        var refused = Assert.ThrowsAsync<FileLockConflictException>(async () => await acquiring)!;
        Assert.That(refused.Conflicts.Single().HeldPath, Is.EqualTo("src/a.cs"));
        Assert.That(await RowsAsync(asker), Is.Empty);
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task On_PostgreSQL_a_release_does_not_wait_for_the_projects_lock_scope_and_a_renewal_does(CancellationToken cancellationToken)
    {
        if (Provider != DatabaseProvider.PostgreSql)
        {
            Assert.Ignore("The project's lock scope is a PostgreSQL advisory lock; SQLite has one writer.");
        }

        var project = await ProjectAsync();
        var session = await SessionAsync(project);
        await AcquireAsync(session, FileLockType.Exclusive, "src/a.cs", "src/b.cs", "docs/**");

        // Another writer of the project's locks holds its scope (an acquisition deciding): releases go on, a renewal waits.
        await using var writer = CreateContext();
        await using var transaction = await writer.Database.BeginTransactionAsync(cancellationToken);
        await RawSql.ScalarAsync(writer, $"SELECT pg_advisory_xact_lock({PostgreSqlLocks.AdvisoryKey(LockScope.FileLocks(project.Id).Name)})");
        var released = await LocksAsync(l => l.ReleaseAsync(session.SessionId, ["src/a.cs"], cancellationToken));
        var renewing = LocksAsync(l => l.RenewAsync(session.SessionId, Ttl, cancellationToken));
        await PostgresWaits.UntilBlockedAsync(Database);
        Assert.That(renewing.IsCompleted, Is.False, "the renewal waits for the scope");
        await transaction.CommitAsync(cancellationToken);

        Assert.That((await renewing).Select(l => l.Path), Is.EqualTo(new[] { "docs/**", "src/b.cs" }));
        Assert.That(released.Select(l => l.Path), Is.EqualTo(new[] { "src/a.cs" }));
        Assert.That((await LocksAsync(l => l.ReleaseAllAsync(session.SessionId, cancellationToken))).Select(l => l.Path), Is.EqualTo(new[] { "docs/**", "src/b.cs" }));
        await AssertJsonInStepAsync(session);
    }

    [Test]
    public async Task On_PostgreSQL_the_statements_prefix_and_scope_key_are_the_ones_the_library_computes()
    {
        if (Provider != DatabaseProvider.PostgreSql)
        {
            Assert.Ignore("PostgreSQL SQL.");
        }

        var faker = new Faker { Random = new Randomizer(11) };
        var pieces = new[] { "a", "B", "é", "😀", "\uE001", "*", "?", "/", "**/", "./", "src" };
        var patterns = Enumerable.Range(0, 500)
            .Select(_ => string.Concat(faker.Make(faker.Random.Int(1, 8), () => faker.Random.ArrayElement(pieces))))
            .Select(p => LockPath.TryNormalize(p, out var n, out _) ? n : null).OfType<string>().Distinct().ToList();
        var projects = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid()).ToList();
        await using var context = CreateContext();
        foreach (var pattern in patterns)
        {
            var literal = pattern.Replace("'", "''", StringComparison.Ordinal);
            Assert.That(await RawSql.ScalarAsync(context, $"SELECT {PostgreSqlFileLockStrategy.LiteralPrefixSql($"'{literal}'::text")}"), Is.EqualTo(LockPatterns.LiteralPrefix(pattern)), pattern);
        }

        foreach (var id in projects)
        {
            Assert.That(await RawSql.ScalarAsync(context, $"SELECT {PostgreSqlFileLockStrategy.ScopeKeySql($"'{id}'::uuid")}"), Is.EqualTo(PostgreSqlLocks.AdvisoryKey(LockScope.FileLocks(id).Name)));
        }
    }

    private static async Task<bool> TryAcquireAsync(IFileLockService locks, AgentSession session, string path, Barrier? start, CancellationToken cancellationToken)
    {
        start?.SignalAndWait(cancellationToken);
        try
        {
            await locks.AcquireAsync(session.SessionId, [path], FileLockType.Exclusive, Ttl, cancellationToken);
            return true;
        }
        catch (FileLockConflictException)
        {
            return false;
        }
    }

    private async Task<string?> ListAsync(AgentSession session)
    {
        await using var context = CreateContext();
        return Convert.ToString(await RawSql.ScalarAsync(context, $"SELECT file_locks FROM agent_sessions WHERE session_id = '{session.SessionId}'"), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<string?> PayloadAsync(OrchestrationEvent e)
    {
        await using var context = CreateContext();
        return Convert.ToString(await RawSql.ScalarAsync(context, $"SELECT payload FROM orchestration_events WHERE sequence = {e.Sequence}"), System.Globalization.CultureInfo.InvariantCulture);
    }
}
