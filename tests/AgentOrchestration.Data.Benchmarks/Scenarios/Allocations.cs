using AgentOrchestration.Data.Claims;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Benchmarks.Scenarios;

/// <summary>
/// Managed allocations per claim and per complete: one caller, one scope, a loop of claims then a loop of completes,
/// each between two <see cref="GC.GetTotalAllocatedBytes(bool)"/> readings (precise; the process runs nothing else
/// meanwhile, and async continuations hop threads, so a per-thread counter would miss part of each call).
/// </summary>
internal static class Allocations
{
    private const string Section = "Allocations";

    public static async Task RunAsync(BenchContext ctx)
    {
        await using (var pg = await BenchDatabase.PostgresAsync(ctx.PostgresAdmin))
        {
            await MeasureAsync(ctx, pg, "PostgreSQL");
        }

        await using (var lite = await BenchDatabase.SqliteAsync())
        {
            await MeasureAsync(ctx, lite, "SQLite");
        }
    }

    private static async Task MeasureAsync(BenchContext ctx, BenchDatabase database, string provider)
    {
        var n = ctx.Sizes.MemoryOperations;
        var (project, agents) = await database.SeedAsync("memory", n + 20, 1);
        await using var services = database.Services();
        await using var scope = services.CreateAsyncScope();
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        for (var i = 0; i < 10; i++)
        {
            await claimer.CompleteAsync((await claimer.ClaimNextAsync(agents[0], project))!.Lease);
        }

        var leases = new List<WorkLease>(n);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < n; i++)
        {
            leases.Add((await claimer.ClaimNextAsync(agents[0], project) ?? throw new InvalidOperationException("The allocation loop ran out of items.")).Lease);
        }

        var claims = GC.GetTotalAllocatedBytes(precise: true) - before;
        before = GC.GetTotalAllocatedBytes(precise: true);
        foreach (var lease in leases)
        {
            await claimer.CompleteAsync(lease);
        }

        var completes = GC.GetTotalAllocatedBytes(precise: true) - before;
        ctx.Results.Measure(Section, $"{provider}: allocated per claim", claims / 1024.0 / n, "KiB", $"{n} claims, one caller");
        ctx.Results.Measure(Section, $"{provider}: allocated per complete", completes / 1024.0 / n, "KiB", $"{n} completes, one caller");
        ctx.Log($"{provider}: {claims / 1024.0 / n:N1} KiB per claim, {completes / 1024.0 / n:N1} KiB per complete");

        if (ProfileSeconds is { } seconds)
        {
            await ProfileAsync(ctx, database, claimer, provider, seconds);
        }
    }

    /// <summary>How long to run claim + complete after the measurement for an outside profiler (AO_BENCH_PROFILE_SECONDS), or <see langword="null"/>.</summary>
    private static int? ProfileSeconds => int.TryParse(Environment.GetEnvironmentVariable("AO_BENCH_PROFILE_SECONDS"), out var s) && s > 0 ? s : null;

    /// <summary>
    /// A steady loop of claim + complete for a profiler attached from outside (perf with DOTNET_PerfMapEnabled=1,
    /// dotnet-trace): the log names the process and the window; it reports nothing into the results.
    /// </summary>
    private static async Task ProfileAsync(BenchContext ctx, BenchDatabase database, IWorkClaimer claimer, string provider, int seconds)
    {
        var (project, agents) = await database.SeedAsync("profile", 2_000 * seconds, 1);
        ctx.Log($"{provider}: profile window starts, process {Environment.ProcessId}, {seconds} s of claim + complete");
        var until = System.Diagnostics.Stopwatch.GetTimestamp() + (seconds * System.Diagnostics.Stopwatch.Frequency);
        var count = 0;
        while (System.Diagnostics.Stopwatch.GetTimestamp() < until)
        {
            var claimed = await claimer.ClaimNextAsync(agents[0], project) ?? throw new InvalidOperationException("The profile loop ran out of items.");
            await claimer.CompleteAsync(claimed.Lease);
            count++;
        }

        ctx.Log($"{provider}: profile window ends, {count:N0} claim + complete ({count / (double)seconds:N0}/s)");
    }
}
