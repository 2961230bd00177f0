using System.Diagnostics;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Locks;

/// <summary>
/// Sixteen sessions as real parallel tasks, each in its own DI scope (own context and connection), fight over
/// overlapping exclusive locks: no two sessions may ever hold overlapping exclusive locks at the same time.
/// </summary>
public sealed class FileLockRaceTests(DatabaseProvider provider) : LockFixture(provider)
{
    private const int Sessions = 16;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(3);

    // Files and patterns that overlap in many ways: src/** covers four of them, **/d.cs and src/c/** share src/c/d.cs …
    private static readonly string[] Pool =
    [
        "src/a.cs", "src/b.cs", "src/c/d.cs", "docs/x.md", "docs/y.md", "lib/z.cs",
        "src/**", "docs/*.md", "src/c/**", "**/d.cs", "lib/",
    ];

    [Test]
    [CancelAfter(120_000)]
    public async Task Sixteen_sessions_never_hold_overlapping_exclusive_locks(CancellationToken cancellationToken)
    {
        var project = await ProjectAsync();
        var sessions = new List<AgentSession>();
        for (var i = 0; i < Sessions; i++)
        {
            sessions.Add(await SessionAsync(project, withAgent: i % 2 == 0));
        }

        var gate = new object();
        var order = 0L;
        var log = new List<Grant>();
        var refusals = 0;
        var audits = 0;
        var auditFailures = new List<string>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var warmed = 0;
        var allWarm = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workers = sessions.Select((session, index) => Task.Run(async () =>
        {
            var random = new Random(1000 + index);
            await using var scope = Services.CreateAsyncScope();
            var locks = scope.ServiceProvider.GetRequiredService<IFileLockService>();
            await locks.GetLocksAsync(project.Id, cancellationToken); // opens this session's connection before the start
            if (Interlocked.Increment(ref warmed) == Sessions)
            {
                allWarm.SetResult();
            }

            await start.Task;
            var final = false;
            while (!final)
            {
                final = stop.IsCancellationRequested;
                var paths = random.GetItems(Pool, random.Next(1, 4)).Distinct().ToArray();
                IReadOnlyList<FileLockInfo> granted;
                try
                {
                    granted = await locks.AcquireAsync(session.SessionId, paths, FileLockType.Exclusive, Ttl, cancellationToken);
                }
                catch (FileLockConflictException)
                {
                    Interlocked.Increment(ref refusals);
                    continue;
                }

                // Recorded after the grant committed and, below, before the release starts: inside the time the database held it.
                var grant = new Grant(session.SessionId, [.. granted.Select(g => g.Path)]);
                lock (gate)
                {
                    grant.Start = ++order;
                    log.Add(grant);
                }

                if (final)
                {
                    break; // the last grant of each session stays, for the check of the database at the end
                }

                await Task.Delay(random.Next(0, 3), cancellationToken);
                lock (gate)
                {
                    grant.End = ++order;
                }

                if (random.Next(4) == 0)
                {
                    await locks.ReleaseAllAsync(session.SessionId, cancellationToken);
                }
                else
                {
                    await locks.ReleaseAsync(session.SessionId, paths, cancellationToken);
                }
            }
        }, cancellationToken)).ToList();

        // An auditor reads the live exclusive locks in single statements while the sessions fight.
        var auditor = Task.Run(async () =>
        {
            await start.Task;
            while (!stop.IsCancellationRequested)
            {
                await using var context = CreateContext();
                var overlap = Overlapping(await LiveExclusiveAsync(context, project.Id, cancellationToken));
                Interlocked.Increment(ref audits);
                if (overlap is not null)
                {
                    lock (auditFailures)
                    {
                        auditFailures.Add(overlap);
                    }
                }

                await Task.Delay(5, cancellationToken);
            }
        }, cancellationToken);

        // Microsoft.Data.Sqlite waits out a busy database synchronously (Thread.Sleep between retries), so sixteen waiting
        // sessions would hold sixteen pool threads; give the pool enough threads up front that the auditor still runs.
        ThreadPool.GetMinThreads(out var workerThreads, out var ioThreads);
        ThreadPool.SetMinThreads(Math.Max(workerThreads, Sessions + 8), ioThreads);
        var clock = Stopwatch.StartNew();
        try
        {
            await allWarm.Task;
            clock.Restart();
            stop.CancelAfter(Duration);
            start.SetResult();
            await Task.WhenAll([.. workers, auditor]);
        }
        finally
        {
            ThreadPool.SetMinThreads(workerThreads, ioThreads);
        }

        TestContext.Out.WriteLine($"{Provider}: {log.Count} grants, {refusals} refusals, {audits} audits in {clock.Elapsed.TotalSeconds:F1}s");

        var violations = new List<string>();
        foreach (var a in log)
        {
            foreach (var b in log)
            {
                if (string.CompareOrdinal(a.SessionId, b.SessionId) < 0 && a.Start < (b.End ?? long.MaxValue) && b.Start < (a.End ?? long.MaxValue)
                    && a.Paths.Any(p => b.Paths.Any(q => LockPath.Overlaps(p, q))))
                {
                    violations.Add($"{a} and {b} held overlapping exclusive locks at the same time");
                }
            }
        }

        Assert.Multiple(async () =>
        {
            Assert.That(violations, Is.Empty);
            Assert.That(auditFailures, Is.Empty);
            Assert.That(log, Has.Count.GreaterThan(Sessions), "the sessions got locks");
            Assert.That(refusals, Is.GreaterThan(0), "the sessions contended");
            Assert.That(audits, Is.GreaterThan(0), "the auditor read while they did");

            await using var context = CreateContext();
            var live = await LiveExclusiveAsync(context, project.Id, CancellationToken.None);
            Assert.That(Overlapping(live), Is.Null, "the database holds no overlapping live exclusive locks at the end");
            Assert.That(live.Select(l => l.LockedBySession).Distinct().Count(), Is.EqualTo(log.Where(g => g.End is null).Select(g => g.SessionId).Distinct().Count()));
        });

        foreach (var session in sessions)
        {
            await AssertJsonInStepAsync(session);
        }
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Renewals_and_releases_of_all_racing_acquires_on_overlapping_globs_never_lose_a_lock_nor_let_two_sessions_overlap(CancellationToken cancellationToken)
    {
        const int sessionCount = 8;
        var project = await ProjectAsync();
        var sessions = new List<AgentSession>();
        for (var i = 0; i < sessionCount; i++)
        {
            sessions.Add(await SessionAsync(project, withAgent: i % 2 == 0));
        }

        var failures = new List<string>();
        var counts = new int[3]; // grants, renewals, releases of all
        var held = new HashSet<string>[sessionCount];
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workers = sessions.Select((session, index) => Task.Run(async () =>
        {
            var random = new Random(2000 + index);
            var mine = held[index] = new HashSet<string>(StringComparer.Ordinal);
            await using var scope = Services.CreateAsyncScope();
            var locks = scope.ServiceProvider.GetRequiredService<IFileLockService>();
            await locks.GetLocksAsync(project.Id, cancellationToken);
            await start.Task;
            while (!stop.IsCancellationRequested)
            {
                void Fail(string what)
                {
                    lock (failures)
                    {
                        failures.Add($"{session.SessionId}: {what}");
                    }
                }

                switch (random.Next(3))
                {
                    case 0:
                        var paths = random.GetItems(Pool, random.Next(1, 3)).Distinct().ToArray();
                        try
                        {
                            var granted = await locks.AcquireAsync(session.SessionId, paths, FileLockType.Exclusive, Ttl, cancellationToken);
                            mine.UnionWith(granted.Select(g => g.Path));
                            Interlocked.Increment(ref counts[0]);
                        }
                        catch (FileLockConflictException refused) when (refused.Conflicts.All(c => c.HolderSessionId != session.SessionId))
                        {
                        }

                        break;
                    case 1:
                        // Whatever the others do meanwhile, a renewal finds every lock this session was granted, and only those.
                        var renewed = await locks.RenewAsync(session.SessionId, Ttl, cancellationToken);
                        if (!renewed.Select(l => l.Path).ToHashSet(StringComparer.Ordinal).SetEquals(mine))
                        {
                            Fail($"renewed [{string.Join(", ", renewed.Select(l => l.Path))}] but held [{string.Join(", ", mine)}]");
                        }

                        Interlocked.Increment(ref counts[1]);
                        break;
                    default:
                        var released = await locks.ReleaseAllAsync(session.SessionId, cancellationToken);
                        if (!released.Select(l => l.Path).ToHashSet(StringComparer.Ordinal).SetEquals(mine))
                        {
                            Fail($"released [{string.Join(", ", released.Select(l => l.Path))}] but held [{string.Join(", ", mine)}]");
                        }

                        mine.Clear();
                        Interlocked.Increment(ref counts[2]);
                        break;
                }
            }
        }, cancellationToken)).ToList();

        var audits = 0;
        var auditor = Task.Run(async () =>
        {
            await start.Task;
            while (!stop.IsCancellationRequested)
            {
                await using var context = CreateContext();
                if (Overlapping(await LiveExclusiveAsync(context, project.Id, cancellationToken)) is { } overlap)
                {
                    lock (failures)
                    {
                        failures.Add(overlap);
                    }
                }

                Interlocked.Increment(ref audits);
                await Task.Delay(5, cancellationToken);
            }
        }, cancellationToken);

        ThreadPool.GetMinThreads(out var workerThreads, out var ioThreads);
        ThreadPool.SetMinThreads(Math.Max(workerThreads, sessionCount + 8), ioThreads);
        try
        {
            stop.CancelAfter(Duration);
            start.SetResult();
            await Task.WhenAll([.. workers, auditor]);
        }
        finally
        {
            ThreadPool.SetMinThreads(workerThreads, ioThreads);
        }

        TestContext.Out.WriteLine($"{Provider}: {counts[0]} grants, {counts[1]} renewals, {counts[2]} releases of all, {audits} audits");
        Assert.That(failures, Is.Empty);
        Assert.That(counts, Is.All.GreaterThan(0), "every operation ran");
        await using (var context = CreateContext())
        {
            Assert.That(Overlapping(await LiveExclusiveAsync(context, project.Id, CancellationToken.None)), Is.Null);
        }

        for (var i = 0; i < sessionCount; i++)
        {
            Assert.That((await RowsAsync(sessions[i])).Select(r => r.FilePath), Is.EquivalentTo(held[i]), $"the locks of {sessions[i].SessionId} at the end");
            await AssertJsonInStepAsync(sessions[i]);
        }
    }

    private static async Task<List<FileLock>> LiveExclusiveAsync(AgentOrchestrationDbContext context, Guid projectId, CancellationToken cancellationToken) =>
        await context.FileLocks.AsNoTracking().Where(l => l.ProjectId == projectId && l.LockType == FileLockType.Exclusive).ToListAsync(cancellationToken);

    private static string? Overlapping(List<FileLock> locks)
    {
        foreach (var a in locks)
        {
            foreach (var b in locks)
            {
                if (string.CompareOrdinal(a.LockedBySession, b.LockedBySession) < 0 && LockPath.Overlaps(a.FilePath, b.FilePath))
                {
                    return $"'{a.FilePath}' of {a.LockedBySession} overlaps '{b.FilePath}' of {b.LockedBySession}";
                }
            }
        }

        return null;
    }

    private sealed class Grant(string sessionId, IReadOnlyList<string> paths)
    {
        public string SessionId { get; } = sessionId;

        public IReadOnlyList<string> Paths { get; } = paths;

        public long Start { get; set; }

        public long? End { get; set; }

        public override string ToString() => $"{SessionId} [{string.Join(", ", Paths)}] {Start}..{End}";
    }
}
