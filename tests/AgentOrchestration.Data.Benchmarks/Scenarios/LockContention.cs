using System.Collections.Concurrent;
using System.Diagnostics;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Benchmarks.Scenarios;

/// <summary>
/// File locks under contention: 16 sessions of one project, each repeatedly acquiring an exclusive lock on a path or a
/// glob of one of 4 overlapping module trees (<c>src/mN/**</c> or <c>src/mN/fileK.cs</c>) and releasing it. A refused
/// acquire (<see cref="FileLockConflictException"/>) is the expected outcome of overlap and is counted, not an error;
/// any other exception is. While a session holds its lock, the harness checks that no other session holds an
/// overlapping one (the lock's guarantee).
/// </summary>
internal static class LockContention
{
    private const string Section = "File locks, 16 sessions";
    private const int Sessions = 16;

    public static async Task RunAsync(BenchContext ctx)
    {
        await using (var pg = await BenchDatabase.PostgresAsync(ctx.PostgresAdmin))
        {
            await RunAsync(ctx, pg, "PostgreSQL");
        }

        await using (var lite = await BenchDatabase.SqliteAsync())
        {
            await RunAsync(ctx, lite, "SQLite");
        }
    }

    private static async Task RunAsync(BenchContext ctx, BenchDatabase database, string provider)
    {
        var (project, agents) = await database.SeedAsync("locks", 0, Sessions);
        await using var services = database.Services();
        var ids = new List<string>();
        await using (var scope = services.CreateAsyncScope())
        {
            var sessions = scope.ServiceProvider.GetRequiredService<ISessionService>();
            foreach (var agent in agents)
            {
                ids.Add((await sessions.StartAsync(new SessionStart(project, SessionAgentType.Implementation) { AgentId = agent })).SessionId);
            }
        }

        var held = new ConcurrentDictionary<string, (int Module, int File)>();
        var acquireMs = new ConcurrentBag<double>();
        var releaseMs = new ConcurrentBag<double>();
        var refusedMs = new ConcurrentBag<double>();
        int granted = 0, conflicts = 0, errors = 0, violations = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(ids.Select((sessionId, s) => Task.Run(async () =>
        {
            var random = new Random(s);
            await using var scope = services.CreateAsyncScope();
            var locks = scope.ServiceProvider.GetRequiredService<IFileLockService>();
            for (var round = 0; round < ctx.Sizes.LockRounds; round++)
            {
                var module = random.Next(4);
                var file = random.Next(4) == 0 ? -1 : random.Next(8);
                var path = file < 0 ? $"src/m{module}/**" : $"src/m{module}/file{file}.cs";
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await locks.AcquireAsync(sessionId, [path], FileLockType.Exclusive, TimeSpan.FromMinutes(10));
                    acquireMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    Interlocked.Increment(ref granted);
                    if (held.Any(h => h.Key != sessionId && h.Value.Module == module && (h.Value.File < 0 || file < 0 || h.Value.File == file)))
                    {
                        Interlocked.Increment(ref violations);
                    }

                    // Held from the grant until just before the release: another session's grant inside that window is an overlap.
                    held[sessionId] = (module, file);
                    await Task.Yield();
                    held.TryRemove(sessionId, out _);
                    started = Stopwatch.GetTimestamp();
                    await locks.ReleaseAsync(sessionId, [path]);
                    releaseMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                catch (FileLockConflictException)
                {
                    refusedMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    Interlocked.Increment(ref conflicts);
                }
#pragma warning disable CA1031 // Every other exception that reaches the caller is what this run counts.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    Interlocked.Increment(ref errors);
                    Console.Error.WriteLine($"  lock worker: {exception.GetType().Name}: {exception.Message}");
                }
            }
        })));
        watch.Stop();

        var acquire = new RunResult(granted, watch.Elapsed, errors, [.. acquireMs]);
        var release = new RunResult(granted, watch.Elapsed, errors, [.. releaseMs]);
        var attempts = Sessions * ctx.Sizes.LockRounds;
        ctx.Results.Check($"{provider} file locks: no errors other than conflicts reach the caller", errors == 0, $"{errors} errors in {attempts:N0} attempts");
        ctx.Results.Check($"{provider} file locks: no two sessions held overlapping exclusive locks", violations == 0, $"{violations} overlaps seen");
        ctx.Results.Check($"{provider} file locks: some acquires were granted and some refused (the paths overlap)", granted > 0 && (conflicts > 0 || ctx.Sizes.IsQuick), $"{granted} granted, {conflicts} refused");
        ctx.Results.Measure(Section, $"{provider}: acquire + release", (granted + conflicts) / watch.Elapsed.TotalSeconds, "attempts/s", $"{attempts:N0} attempts: {granted:N0} granted and released, {conflicts:N0} refused as conflicts, {errors} errors, in {watch.Elapsed.TotalSeconds:N1} s");
        ctx.Results.Measure(Section, $"{provider}: acquire latency p50 / p99", acquire.Percentile(50), "ms", $"p99 {acquire.Percentile(99):N2} ms");
        ctx.Results.Measure(Section, $"{provider}: release latency p50 / p99", release.Percentile(50), "ms", $"p99 {release.Percentile(99):N2} ms");
        if (!refusedMs.IsEmpty)
        {
            var refusal = new RunResult(conflicts, watch.Elapsed, errors, [.. refusedMs]);
            ctx.Results.Measure(Section, $"{provider}: refused acquire latency p50 / p99", refusal.Percentile(50), "ms", $"p99 {refusal.Percentile(99):N2} ms, {conflicts:N0} refusals");
        }
        ctx.Log($"{provider} locks: {granted} granted, {conflicts} conflicts, {errors} errors, {violations} overlaps in {watch.Elapsed.TotalSeconds:N1}s");
    }
}
