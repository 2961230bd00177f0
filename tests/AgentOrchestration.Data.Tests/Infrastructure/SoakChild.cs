using System.Diagnostics;
using System.Globalization;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Migrations;
using AgentOrchestration.Data.Sessions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>
/// The soak (build/soak.sh): <c>soak run PROVIDER CONNECTION SECONDS PROCESSES</c> migrates, seeds one project with
/// work, starts PROCESSES worker processes (<c>soak worker ...</c>) that claim, lock, heartbeat, complete and release
/// with short leases, kills a random one with SIGKILL every few seconds (and starts a new one), reaps silent sessions
/// and tails the event log; once the time is up it stops killing, lets the workers drain the queue, and checks: every
/// item done exactly once, never two live exclusive locks on one path (rebuilt from the event log), and the event log
/// read by the live tail is the whole log, each event once, in the log's order. Prints one summary line; exit 1 if an
/// invariant is broken.
/// </summary>
public static class SoakChild
{
    private static readonly string[] Paths = ["src/a.cs", "src/b.cs", "src/c.cs", "docs/d.md"];
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Silence = TimeSpan.FromSeconds(8);

    public static Task<int> RunAsync(string[] args) => args[0] switch
    {
        "run" => DriveAsync(args[1], args[2], int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture)),
        "worker" => WorkAsync(args[1], args[2], Guid.Parse(args[3]), Guid.Parse(args[4])),
        "claim-loop" => ClaimLoopAsync(args[1], args[2], Guid.Parse(args[3]), Guid.Parse(args[4]), args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 1),
        _ => Task.FromResult(2),
    };

    private static async Task<int> DriveAsync(string provider, string connection, int seconds, int processes)
    {
        var watch = Stopwatch.StartNew();
        await using var services = CrashChild.Services(provider, connection, TimeProvider.System);
        Guid projectId;
        List<Guid> agents;
        var items = Math.Max(40, seconds * 2);
        await using (var scope = services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<IAgentOrchestrationMigrator>().MigrateAsync();
            var db = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
            var project = Fakes.Project();
            var rows = Enumerable.Range(0, processes * 3).Select(_ => { var a = Fakes.Agent(); a.MaxConcurrentTasks = 2; return a; }).ToList();
            db.Add(project);
            db.AddRange(rows);
            db.AddRange(Enumerable.Range(0, items).Select(_ => Fakes.WorkItem(project)));
            await db.SaveChangesAsync();
            (projectId, agents) = (project.Id, rows.Select(a => a.Id).ToList());
        }

        using var stop = new CancellationTokenSource();
        var seen = new List<OrchestrationEvent>();
        var tail = Task.Run(async () =>
        {
            await using var scope = services.CreateAsyncScope();
            try
            {
                await foreach (var e in scope.ServiceProvider.GetRequiredService<IEventLog>().WatchAsync(0, null, stop.Token))
                {
                    seen.Add(e);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        var nextAgent = 0;
        LiveChild Spawn() => LiveChild.Start("soak", "worker", provider, connection, projectId.ToString(), agents[nextAgent++ % agents.Count].ToString());
        var workers = Enumerable.Range(0, processes).Select(_ => Spawn()).ToList();
        var (kills, reaped, started, errors) = (0, 0, processes, 0);
        var killUntil = TimeSpan.FromSeconds(seconds);
        var drainUntil = killUntil + TimeSpan.FromSeconds(Math.Max(180, seconds * 2));
        var nextKill = TimeSpan.FromSeconds(Random.Shared.Next(1, 4));
        while (watch.Elapsed < drainUntil)
        {
            await Task.Delay(250);
            if (watch.Elapsed < killUntil && watch.Elapsed >= nextKill)
            {
                // Anywhere: in a claim, a lock, a heartbeat, a completion, between them.
                var victim = Random.Shared.Next(workers.Count);
                await workers[victim].KillAsync();
                await workers[victim].DisposeAsync();
                workers[victim] = Spawn();
                (kills, started) = (kills + 1, started + 1);
                nextKill = watch.Elapsed + TimeSpan.FromMilliseconds(Random.Shared.Next(500, 3000));
            }

            for (var i = 0; i < workers.Count; i++)
            {
                if (workers[i].HasExited)
                {
                    // A worker that stopped by itself (an idle queue, or an error it did not expect) is replaced.
                    if (await workers[i].ErrorAsync() is { Length: > 0 } error && errors++ < 3)
                    {
                        await Console.Error.WriteLineAsync($"soak {provider}: a worker failed: {error}");
                    }

                    await workers[i].DisposeAsync();
                    workers[i] = Spawn();
                    started++;
                }
            }

            try
            {
                await using var scope = services.CreateAsyncScope();
                reaped += (await scope.ServiceProvider.GetRequiredService<ISessionReaper>().ReapAsync(Silence)).SessionsReaped;
                var db = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
                if (watch.Elapsed >= killUntil && await db.WorkItems.CountAsync(w => w.ProjectId == projectId && w.Status != WorkItemStatus.Done) == 0)
                {
                    break;
                }
            }
#pragma warning disable CA1031 // A reaper round that fails (a database timeout on a starved machine) is retried next round; only the invariants decide.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                if (errors++ < 3)
                {
                    await Console.Error.WriteLineAsync($"soak {provider}: a reaper round failed: {exception.GetType().Name}: {exception.Message}");
                }
            }
        }

        foreach (var worker in workers)
        {
            await worker.DisposeAsync();
        }

        await Task.Delay(1000);
        await stop.CancelAsync();
        await tail;

        await using var check = services.CreateAsyncScope();
        var context = check.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        var failures = new List<string>();
        var done = await context.WorkItems.CountAsync(w => w.ProjectId == projectId && w.Status == WorkItemStatus.Done);
        var completions = await context.TaskAssignments.Where(t => t.Status == AssignmentStatus.Completed).GroupBy(t => t.WorkItemId).Select(g => g.Count()).ToListAsync();
        if (done != items || completions.Count != items || completions.Any(c => c != 1))
        {
            failures.Add($"exactly once: {done}/{items} done, {completions.Count} items with a completion, {completions.Count(c => c > 1)} completed more than once");
        }

        var log = await context.Events.AsNoTracking().ToListAsync();
        if (seen.Count != log.Count || seen.Select(e => e.Sequence).Distinct().Count() != seen.Count || !seen.Select(e => e.Sequence).ToHashSet().SetEquals(log.Select(e => e.Sequence)))
        {
            failures.Add($"event log: the live tail read {seen.Count} events ({seen.Select(e => e.Sequence).Distinct().Count()} distinct), the table holds {log.Count}");
        }

        var page = new List<OrchestrationEvent>();
        var reader = check.ServiceProvider.GetRequiredService<IEventLog>();
        for (var batch = await reader.ReadAsync(0, 500); batch.Count > 0; batch = await reader.ReadAsync(batch[^1].Sequence, 500))
        {
            page.AddRange(batch);
        }

        if (!page.Select(e => e.Sequence).SequenceEqual(seen.Select(e => e.Sequence)))
        {
            failures.Add("event log: the live tail's order differs from a read of the whole log afterwards");
        }

        failures.AddRange(OverlappingExclusiveLocks(seen));
        var lockEvents = seen.Count(e => e.Type.StartsWith("file_lock.", StringComparison.Ordinal));
        var operations = seen.Count;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"soak {provider}: {watch.Elapsed.TotalSeconds:N0} s, {errors} worker errors, {started} worker processes ({processes} at a time), {kills} killed with SIGKILL, {reaped} sessions reaped, {items} items done exactly once: {(done == items ? "yes" : "NO")}, {operations} events ({lockEvents} lock events, {seen.Count(e => e.Type == "work_item.claimed")} claims), {failures.Count} invariant failures"));
        foreach (var failure in failures)
        {
            Console.WriteLine($"soak {provider}: FAILED: {failure}");
        }

        if (provider != "sqlite")
        {
            // The soak's own database on the server (build/soak.sh names a new one per run).
            await context.Database.EnsureDeletedAsync();
        }

        return failures.Count == 0 ? 0 : 1;
    }

    /// <summary>Exclusive locks per path from the log: each acquired one lives until released or expired; a second session acquiring it meanwhile is an overlap.</summary>
    private static IEnumerable<string> OverlappingExclusiveLocks(IEnumerable<OrchestrationEvent> events)
    {
        var holders = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in events.Where(e => e.Type.StartsWith("file_lock.", StringComparison.Ordinal)))
        {
            var path = e.Payload?.Data.FirstOrDefault(d => d.Key == "path")?.Value;
            var session = e.Payload?.SessionId ?? e.Actor;
            if (path is null || session is null)
            {
                continue;
            }

            if (e.Type == "file_lock.acquired")
            {
                if (holders.TryGetValue(path, out var holder) && holder != session)
                {
                    yield return $"locks: {session} acquired {path} at event {e.Sequence} while {holder} held it";
                }

                holders[path] = session;
            }
            else if (e.Type is "file_lock.released" or "file_lock.expired" && holders.TryGetValue(path, out var holder) && holder == session)
            {
                holders.Remove(path);
            }
        }
    }

    /// <summary>
    /// Waits for <c>go</c>, then claims and completes until the queue is empty; prints <c>done N errors E kept K handovers H
    /// longest L</c>: on SQLite, the write transactions on the kept connection, the cross-process turns one writer left for
    /// the next, and the most transactions one turn carried.
    /// </summary>
    private static async Task<int> ClaimLoopAsync(string provider, string connection, Guid projectId, Guid agentId, int workers)
    {
        await using var services = CrashChild.Services(provider, connection, TimeProvider.System);
        var scopes = Enumerable.Range(0, workers).Select(_ => services.CreateAsyncScope()).ToList();
        try
        {
            var claimers = scopes.ConvertAll(s => s.ServiceProvider.GetRequiredService<IWorkClaimer>());
            foreach (var warm in claimers)
            {
                await warm.ClaimNextAsync(agentId, Guid.NewGuid()).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            Console.WriteLine("ready");
            if (await Console.In.ReadLineAsync() != "go")
            {
                return 1;
            }

            var (done, errors) = (0, 0);
            await Task.WhenAll(claimers.Select(claimer => Task.Run(async () =>
            {
                while (Volatile.Read(ref errors) < 100)
                {
                    try
                    {
                        if (await claimer.ClaimNextAsync(agentId, projectId) is not { } work)
                        {
                            break;
                        }

                        await claimer.CompleteAsync(work.Lease);
                        if (Interlocked.Increment(ref done) % 20 == 0)
                        {
                            // How far it got, and how many write transactions ran on the process's kept writer connection.
                            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"progress {Volatile.Read(ref done)} kept {KeptTransactions(provider, connection)}"));
                        }
                    }
#pragma warning disable CA1031 // Every exception that reaches the caller is what the test counts.
                    catch (Exception exception)
#pragma warning restore CA1031
                    {
                        Interlocked.Increment(ref errors);
                        await Console.Error.WriteLineAsync(exception.ToString());
                    }
                }
            })));

            var gate = Gate(provider, connection);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done {done} errors {errors} kept {gate?.WriterTransactions ?? 0} handovers {Sqlite.Storage.WriterGate.HandOvers} longest {gate?.LongestTurn ?? 0}"));
            return 0;
        }
        finally
        {
            foreach (var scope in scopes)
            {
                await scope.DisposeAsync();
            }
        }
    }

    private static long KeptTransactions(string provider, string connection) => Gate(provider, connection)?.WriterTransactions ?? 0;

    private static Sqlite.Storage.WriterGate? Gate(string provider, string connection) =>
        provider == "sqlite" ? Sqlite.Storage.SqliteOrchestrationProvider.GateOf(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connection).DataSource) : null;

    /// <summary>Claims, locks, heartbeats, completes, releases, until killed or the queue stays empty for a while.</summary>
    private static async Task<int> WorkAsync(string provider, string connection, Guid projectId, Guid agentId)
    {
        await using var services = CrashChild.Services(provider, connection, TimeProvider.System);
        await using var scope = services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        var sessions = sp.GetRequiredService<ISessionService>();
        var claimer = sp.GetRequiredService<IWorkClaimer>();
        var locks = sp.GetRequiredService<IFileLockService>();
        var session = (await sessions.StartAsync(new SessionStart(projectId, SessionAgentType.Implementation) { AgentId = agentId })).SessionId;
        var idle = 0;
        while (idle < 40)
        {
            try
            {
                var work = await claimer.ClaimNextAsync(agentId, projectId, new ClaimOptions { SessionId = session, LeaseDuration = Lease });
                if (work is null)
                {
                    idle++;
                    await sessions.HeartbeatAsync(session);
                    await Task.Delay(100);
                    continue;
                }

                idle = 0;
                var path = Paths[Random.Shared.Next(Paths.Length)];
                try
                {
                    await locks.AcquireAsync(session, [path], FileLockType.Exclusive, TimeSpan.FromMinutes(10));
                }
                catch (FileLockConflictException)
                {
                    // Another session works on that file: this item goes back, as an agent would hand it back.
                    await claimer.ReleaseAsync(work.Lease, "file busy");
                    continue;
                }

                await sessions.HeartbeatAsync(session, "working");
                await Task.Delay(Random.Shared.Next(0, 30));
                await claimer.CompleteAsync(work.Lease);
                await locks.ReleaseAsync(session, [path]);
            }
            catch (AgentOrchestrationException)
            {
                // A lease lost to the reaper or an expiry (this worker was slow), a session reaped: start again.
                if ((await sessions.GetAsync(session))?.Status != SessionStatus.Active)
                {
                    session = (await sessions.StartAsync(new SessionStart(projectId, SessionAgentType.Implementation) { AgentId = agentId })).SessionId;
                }
            }
        }

        await sessions.EndAsync(session, SessionStatus.Completed);
        return 0;
    }
}
