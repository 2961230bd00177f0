namespace AgentOrchestration.Data.Benchmarks.Scenarios;

/// <summary>
/// PostgreSQL claim + complete side by side in one run: the library, the raw floor (<see cref="RawWorkers"/>), the
/// library's own SQL through prepared Npgsql (<see cref="LibrarySqlReplay"/>), the library's batch claim of 50, its
/// completions chained to the next claim (CompleteAndClaimNextAsync), and graphile-worker on the same server; 1 and 16
/// workers, alternating so drift of a shared machine hits all alike. Every path handles the same number of items
/// (<see cref="Sizes.PostgresItems"/>, graphile-worker's jobs too), after a warm-up at 16 workers that opens each path's
/// connections and prepares its statements.
/// </summary>
internal static class PostgresThroughput
{
    private const string Section = "PostgreSQL claim + complete";

    public static async Task RunAsync(BenchContext ctx)
    {
        var results = ctx.Results;
        var sizes = ctx.Sizes;
        await using var pg = await BenchDatabase.PostgresAsync(ctx.PostgresAdmin);
        await using var services = pg.Services();

        var script = await LibrarySqlReplay.CaptureAsync(pg);
        results.Note($"The library's SQL as captured and replayed by the prepared-Npgsql baseline: {LibrarySqlReplay.Describe(script)}.");

        async Task<RunResult> RunAsync(string label, int items, int workers, Func<Guid, Guid[], Task<RunResult>> run)
        {
            var (project, agents) = await pg.SeedAsync(label, items, workers);
            var result = await run(project, agents);
            var (done, wrong) = await pg.CheckCompletedOnceAsync(project, items);
            results.CheckOnce($"PostgreSQL {label}", done, items, wrong);
            results.Check($"no errors reach the caller: PostgreSQL {label}", result.Exceptions == 0, $"{result.Exceptions} exceptions");
            ctx.Log($"{label}: {result.PerSecond:N0} items/s ({result.Items} in {result.Elapsed.TotalSeconds:N1}s), p50 {result.Percentile(50):N2} ms, p99 {result.Percentile(99):N2} ms");
            return result;
        }

        Task<RunResult> Library(string label, int items, int workers) =>
            RunAsync($"library, {label}", items, workers, (p, a) => LibraryWorkers.ClaimAndCompleteAsync(services, p, a));

        // The 1-worker library runs on a pool of its own, as the raw floor and the replay do (a data source per run):
        // Npgsql hands out idle connections first in, first out, so on the pool the 16-worker runs filled, one worker
        // that opens a connection per call goes round all 16 of them, each backend's caches cold when its turn comes
        // (docs/performance.md, "Why the claim costs what it costs"). That case is measured too, on fewer items.
        await using var ownPool = pg.ServicesWithOwnPool("ao-bench-library-1-worker");
        Task<RunResult> LibraryOwnPool(string label, int items, int workers) =>
            RunAsync($"library, {label}", items, workers, (p, a) => LibraryWorkers.ClaimAndCompleteAsync(ownPool, p, a));
        Task<RunResult> Raw(string label, int items, int workers) =>
            RunAsync($"raw floor, {label}", items, workers, (p, a) => RawWorkers.ClaimAndCompleteAsync(pg.ConnectionString, p, a));
        Task<RunResult> Replay(string label, int items, int workers) =>
            RunAsync($"library SQL via prepared Npgsql, {label}", items, workers, (p, a) => LibrarySqlReplay.ClaimAndCompleteAsync(pg.ConnectionString, script, p, a));
        Task<RunResult> Chained(string label, int items, int workers, IServiceProvider on) =>
            RunAsync($"library, completions chained to the next claim, {label}", items, workers, (p, a) => LibraryWorkers.ChainedAsync(on, p, a));
        Task<RunResult> Batch(string label, int items, int workers) =>
            RunAsync($"library batch claim of {Sizes.BatchSize} + completes, {label}", items, workers, (p, a) => LibraryWorkers.BatchClaimAndCompleteAsync(services, p, a, Sizes.BatchSize));

        ctx.Log($"PostgreSQL warm-up ({sizes.WarmUp} items per mode, 16 workers)");
        await Library("warm-up", sizes.WarmUp, 16);
        await Raw("warm-up", sizes.WarmUp, 16);
        await Replay("warm-up", sizes.WarmUp, 16);
        await Batch("warm-up", sizes.WarmUp, 16);
        await Chained("warm-up", sizes.WarmUp, 16, services);

        var n = sizes.PostgresItems;
        var raw1 = await Raw("1 worker", n, 1);
        var replay1 = await Replay("1 worker", n, 1);
        var lib1 = await LibraryOwnPool("1 worker", n, 1);
        var chained1 = await Chained("1 worker", n, 1, ownPool);
        var lib1Shared = await Library("1 worker, on the pool of the 16-worker runs", Math.Max(1, n / 5), 1);
        var raw16 = await Raw("16 workers", n, 16);
        var replay16 = await Replay("16 workers", n, 16);
        var lib16 = await Library("16 workers", n, 16);
        var chained16 = await Chained("16 workers", n, 16, services);
        var batch1 = await Batch("1 worker", n, 1);
        var batch16 = await Batch("16 workers", n, 16);

        foreach (var (name, r) in new[]
        {
            ("raw floor (RawWorkers), 1 worker", raw1), ("raw floor (RawWorkers), 16 workers", raw16),
            ("library SQL via prepared Npgsql, 1 worker", replay1), ("library SQL via prepared Npgsql, 16 workers", replay16),
            ("library, 1 worker", lib1), ("library, 16 workers", lib16),
            ("library, 1 worker, on the pool the 16-worker runs filled (16 idle connections, handed out in turn)", lib1Shared),
            ($"library batch claim of {Sizes.BatchSize} + batch complete, 1 worker", batch1), ($"library batch claim of {Sizes.BatchSize} + batch complete, 16 workers", batch16),
            ("library, each completion chained to the next claim (CompleteAndClaimNextAsync), 1 worker", chained1),
            ("library, each completion chained to the next claim (CompleteAndClaimNextAsync), 16 workers", chained16),
        })
        {
            results.Measure(Section, name, r.PerSecond, "items/s", $"{r.Items:N0} items in {r.Elapsed.TotalSeconds:N1} s; claim p50 {r.Percentile(50):N2} ms, p99 {r.Percentile(99):N2} ms");
        }

        results.Measure(Section, "library / raw floor, 1 worker", lib1.PerSecond / raw1.PerSecond, "×");
        results.Measure(Section, "library / library SQL via prepared Npgsql, 1 worker", lib1.PerSecond / replay1.PerSecond, "×");
        results.Measure(Section, "library, completions chained / separate calls, 1 worker", chained1.PerSecond / lib1.PerSecond, "×");
        results.Measure(Section, "library, completions chained / separate calls, 16 workers", chained16.PerSecond / lib16.PerSecond, "×");
        results.Ratio("PostgreSQL claim+complete, 16 workers: library / raw floor", lib16.PerSecond, raw16.PerSecond, "≥ 0.5×", r => r >= 0.5, "items/s");
        results.Ratio("PostgreSQL claim+complete, 16 workers: library / its own SQL through prepared Npgsql", lib16.PerSecond, replay16.PerSecond, "≥ 0.9×", r => r >= 0.9, "items/s");
        results.Ratio("PostgreSQL scaling: library 16/1 workers over raw floor's 16/1", lib16.PerSecond / lib1.PerSecond, raw16.PerSecond / raw1.PerSecond, "≥ 0.9×", r => r >= 0.9, "(16/1)");

        ctx.Log($"graphile-worker {GraphileWorkerBaseline.Version}: npm install into a temp folder");
        GraphileWorkerBaseline graphile;
        try
        {
            graphile = await GraphileWorkerBaseline.InstallAsync();
        }
        catch (Exception exception) when (exception is InvalidOperationException or TimeoutException)
        {
            results.Check("graphile-worker installed with npm", false, exception.Message);
            return;
        }

        await using (graphile)
        {
            async Task<RunResult> DrainAsync(int concurrency)
            {
                var r = await graphile.DrainAsync(ctx.PostgresAdmin, sizes.PostgresItems, concurrency);
                results.Check($"graphile-worker concurrency {concurrency}: every job succeeded once, none left", r.Items == sizes.PostgresItems && r.Exceptions == 0, $"{r.Items:N0} of {sizes.PostgresItems:N0} succeeded, {r.Exceptions} failed or left");
                results.Measure(Section, $"graphile-worker {GraphileWorkerBaseline.Version}, concurrency {concurrency}", r.PerSecond, "jobs/s", $"{r.Items:N0} no-op jobs in {r.Elapsed.TotalSeconds:N1} s (added in bulk before timing)");
                ctx.Log($"graphile-worker concurrency {concurrency}: {r.PerSecond:N0} jobs/s ({r.Items} in {r.Elapsed.TotalSeconds:N1}s)");
                return r;
            }

            await graphile.DrainAsync(ctx.PostgresAdmin, sizes.WarmUp, 16);
            var gw1 = await DrainAsync(1);
            var gw16 = await DrainAsync(16);
            results.Ratio("PostgreSQL single claims + complete, 1 worker / graphile-worker concurrency 1", lib1.PerSecond, gw1.PerSecond, "≥ 0.5×", r => r >= 0.5, "items/s");
            results.Ratio("PostgreSQL single claims + complete, 16 workers / graphile-worker concurrency 16", lib16.PerSecond, gw16.PerSecond, "≥ 0.5×", r => r >= 0.5, "items/s");
            results.Ratio($"PostgreSQL batch claim of {Sizes.BatchSize} + batch complete, 1 worker / graphile-worker concurrency 1", batch1.PerSecond, gw1.PerSecond, "≥ 1×", r => r >= 1, "items/s");
            results.Ratio($"PostgreSQL batch claim of {Sizes.BatchSize} + batch complete, 16 workers / graphile-worker concurrency 16", batch16.PerSecond, gw16.PerSecond, "≥ 1×", r => r >= 1, "items/s");

            // Beside the targets, not one of them: the same single items, each completion chained to the next claim.
            results.Measure(Section, "library, completions chained to the next claim, 1 worker / graphile-worker concurrency 1", chained1.PerSecond / gw1.PerSecond, "×");
            results.Measure(Section, "library, completions chained to the next claim, 16 workers / graphile-worker concurrency 16", chained16.PerSecond / gw16.PerSecond, "×");
        }
    }
}
