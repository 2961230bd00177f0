namespace AgentOrchestration.Data.Benchmarks.Scenarios;

/// <summary>SQLite claim + complete, 1 worker: the library against the raw Microsoft.Data.Sqlite floor on the same file.</summary>
internal static class SqliteThroughput
{
    private const string Section = "SQLite claim + complete";

    public static async Task RunAsync(BenchContext ctx)
    {
        var results = ctx.Results;
        await using var lite = await BenchDatabase.SqliteAsync();
        await using var services = lite.Services();

        async Task<RunResult> RunAsync(string label, int items, Func<Guid, Guid[], Task<RunResult>> run)
        {
            var (project, agents) = await lite.SeedAsync(label, items, 1);
            var result = await run(project, agents);
            var (done, wrong) = await lite.CheckCompletedOnceAsync(project, items);
            results.CheckOnce($"SQLite {label}", done, items, wrong);
            results.Check($"no errors reach the caller: SQLite {label}", result.Exceptions == 0, $"{result.Exceptions} exceptions");
            ctx.Log($"SQLite {label}: {result.PerSecond:N0} items/s ({result.Items} in {result.Elapsed.TotalSeconds:N1}s), p50 {result.Percentile(50):N2} ms, p99 {result.Percentile(99):N2} ms");
            return result;
        }

        Task<RunResult> Library(string label, int items) => RunAsync($"library, {label}", items, (p, a) => LibraryWorkers.ClaimAndCompleteAsync(services, p, a));
        Task<RunResult> Raw(string label, int items) => RunAsync($"raw floor, {label}", items, (p, a) => RawSqliteWorkers.ClaimAndCompleteAsync(lite.ConnectionString, p, a[0]));

        await Library("warm-up", ctx.Sizes.WarmUp);
        await Raw("warm-up", ctx.Sizes.WarmUp);
        var raw = await Raw("1 worker", ctx.Sizes.SqliteItems);
        var library = await Library("1 worker", ctx.Sizes.SqliteItems);
        foreach (var (name, r) in new[] { ("raw Microsoft.Data.Sqlite floor, 1 worker", raw), ("library, 1 worker", library) })
        {
            results.Measure(Section, name, r.PerSecond, "items/s", $"{r.Items:N0} items in {r.Elapsed.TotalSeconds:N1} s; claim p50 {r.Percentile(50):N2} ms, p99 {r.Percentile(99):N2} ms");
        }

        results.Ratio("SQLite claim+complete, 1 worker: library / raw Microsoft.Data.Sqlite floor", library.PerSecond, raw.PerSecond, "≥ 0.25×", r => r >= 0.25, "items/s");
    }
}
