using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Benchmarks.Scenarios;

/// <summary>
/// Claim + complete, 1 worker, through an embedded host's own context (a <see cref="DbContext"/> of its own calling
/// <c>ApplyAgentOrchestration()</c>, registered as docs/embedding.md says: <c>AddDbContextPool</c> with the provider's
/// plain <c>UseSqlite</c> / <c>UseNpgsql</c>, then <c>UseDbContext</c>) side by side with the turnkey registration on the
/// same database, on both providers; on SQLite also the raw floor. The modes take turns in rounds so drift of a shared
/// machine hits them alike.
/// </summary>
internal static class EmbeddedThroughput
{
    private const string Section = "Embedded host context, claim + complete, 1 worker";

    private const int Rounds = 3;

    public static async Task RunAsync(BenchContext ctx)
    {
        await using (var lite = await BenchDatabase.SqliteAsync())
        {
            await RunProviderAsync(ctx, lite, "SQLite", ctx.Sizes.SqliteItems, o => o.UseSqlite(lite.ConnectionString), withRawFloor: true);
        }

        // On PostgreSQL with the connection string docs/embedding.md advises, and also as written, for comparison.
        await using var pg = await BenchDatabase.PostgresAsync(ctx.PostgresAdmin);
        await RunProviderAsync(ctx, pg, "PostgreSQL", ctx.Sizes.EmbeddedPostgresItems, o => o.UseNpgsql(pg.ConnectionString + ";" + AdvisedKeywords), withRawFloor: false, asWritten: o => o.UseNpgsql(pg.ConnectionString));
    }

    /// <summary>What docs/embedding.md ("The same speed as turnkey") tells a PostgreSQL host to add to its connection string.</summary>
    private const string AdvisedKeywords = "Max Auto Prepare=64;Auto Prepare Min Usages=2;No Reset On Close=true";

    private static async Task RunProviderAsync(
        BenchContext ctx, BenchDatabase database, string name, int items, Action<DbContextOptionsBuilder> useProvider, bool withRawFloor, Action<DbContextOptionsBuilder>? asWritten = null)
    {
        var results = ctx.Results;
        await using var turnkey = database.Services();

        // What a host writes (docs/embedding.md, "The same speed as turnkey"): its own pooled context, the library pointed at it.
        await using var embedded = HostServices(useProvider);
        await using var plain = asWritten is null ? null : HostServices(asWritten);

        var modes = new List<Mode>
        {
            new("turnkey registration", (p, a) => LibraryWorkers.ClaimAndCompleteAsync(turnkey, p, a)),
            new(plain is null ? "embedded host context (AddDbContextPool)" : "embedded host context (AddDbContextPool, advised connection string)", (p, a) => LibraryWorkers.ClaimAndCompleteAsync(embedded, p, a)),
        };
        if (withRawFloor)
        {
            modes.Add(new("raw Microsoft.Data.Sqlite floor", (p, a) => RawSqliteWorkers.ClaimAndCompleteAsync(database.ConnectionString, p, a[0])));
        }

        if (plain is not null)
        {
            modes.Add(new("embedded host context (AddDbContextPool, connection string as written)", (p, a) => LibraryWorkers.ClaimAndCompleteAsync(plain, p, a)));
        }

        async Task<RunResult> RunAsync(Mode mode, string label, int n)
        {
            var (project, agents) = await database.SeedAsync($"{mode.Label}, {label}", n, 1);
            var result = await mode.Run(project, agents);
            var (done, wrong) = await database.CheckCompletedOnceAsync(project, n);
            results.CheckOnce($"{name} {mode.Label}, {label}", done, n, wrong);
            results.Check($"no errors reach the caller: {name} {mode.Label}, {label}", result.Exceptions == 0, $"{result.Exceptions} exceptions");
            return result;
        }

        foreach (var mode in modes)
        {
            await RunAsync(mode, "warm-up", ctx.Sizes.WarmUp);
        }

        var perRound = Math.Max(1, items / Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var mode in modes)
            {
                var result = await RunAsync(mode, $"round {round + 1}", perRound);
                mode.Add(result);
                ctx.Log($"{name} {mode.Label}, round {round + 1}: {result.PerSecond:N0} items/s");
            }
        }

        foreach (var mode in modes)
        {
            var total = mode.Total;
            results.Measure(Section, $"{name}, {mode.Label}", total.PerSecond, "items/s",
                $"{total.Items:N0} items in {Rounds} rounds, {total.Elapsed.TotalSeconds:N1} s; claim p50 {total.Percentile(50):N2} ms, p99 {total.Percentile(99):N2} ms");
            ctx.Log($"{name} {mode.Label}: {total.PerSecond:N0} items/s ({total.Items} in {total.Elapsed.TotalSeconds:N1}s), p50 {total.Percentile(50):N2} ms, p99 {total.Percentile(99):N2} ms");
        }

        results.Ratio($"{name} claim+complete, 1 worker: embedded host context / turnkey", modes[1].Total.PerSecond, modes[0].Total.PerSecond, "≥ 0.9×", r => r >= 0.9, "items/s");
        if (plain is not null)
        {
            results.Measure(Section, $"{name}: embedded host context, connection string as written / turnkey", modes[^1].Total.PerSecond / modes[0].Total.PerSecond, "×",
                $"plain UseNpgsql(connection string), without {AdvisedKeywords}");
        }

        if (withRawFloor)
        {
            results.Ratio($"{name} claim+complete, 1 worker: embedded host context / raw Microsoft.Data.Sqlite floor", modes[1].Total.PerSecond, modes[2].Total.PerSecond, "≥ 0.25×", r => r >= 0.25, "items/s");
        }
    }

    private static ServiceProvider HostServices(Action<DbContextOptionsBuilder> useProvider)
    {
        var host = new ServiceCollection();
        host.AddDbContextPool<HostDbContext>(useProvider);
        host.AddAgentOrchestration(o => o.UseDbContext<HostDbContext>().ConfigureQa(p => p.RequireNone()));
        return host.BuildServiceProvider();
    }

    /// <summary>A host's own context: the library's tables applied to its model, nothing else of the library's.</summary>
    private sealed class HostDbContext(DbContextOptions<HostDbContext> options) : DbContext(options)
    {
        protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.ApplyAgentOrchestration();
    }

    private sealed class Mode(string label, Func<Guid, Guid[], Task<RunResult>> run)
    {
        private readonly List<RunResult> runs = [];

        public string Label => label;

        public Func<Guid, Guid[], Task<RunResult>> Run => run;

        public RunResult Total => new(
            runs.Sum(r => r.Items), TimeSpan.FromTicks(runs.Sum(r => r.Elapsed.Ticks)), runs.Sum(r => r.Exceptions), [.. runs.SelectMany(r => r.ClaimMilliseconds)]);

        public void Add(RunResult result) => runs.Add(result);
    }
}
