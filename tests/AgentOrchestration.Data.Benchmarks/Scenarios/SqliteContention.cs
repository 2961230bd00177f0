using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace AgentOrchestration.Data.Benchmarks.Scenarios;

/// <summary>
/// SQLite under contention on one file: 8 workers in one process, then 4 processes × 2 workers (child processes of this
/// harness, <c>--sqlite-child</c>). Counts every exception that reaches the caller, the claim latency p50 / p99 and the
/// longest claim (the worst wait for the write lock), and checks nothing was completed twice. Each run stops starting
/// claims at a time limit, so a starving writer cannot hold the whole benchmark.
/// </summary>
internal static class SqliteContention
{
    private const string Section = "SQLite contention";
    private const string ChildFlag = "--sqlite-child";

    public static bool IsChild(string[] args) => args.Length > 0 && args[0] == ChildFlag;

    public static async Task RunAsync(BenchContext ctx)
    {
        var claims = ctx.Sizes.SqliteContentionClaims;
        await using (var lite = await BenchDatabase.SqliteAsync())
        {
            await using var services = lite.Services();
            var (project, agents) = await lite.SeedAsync("contention-8", claims, 8);
            var result = await LibraryWorkers.ClaimAndCompleteAsync(services, project, agents, DateTime.UtcNow + ctx.Sizes.ContentionTimeLimit);
            var (done, wrong) = await lite.CheckNoDoubleAsync(project);
            Report(ctx, "8 workers in one process", result, done, wrong, claims);
        }

        await using (var lite = await BenchDatabase.SqliteAsync())
        {
            var (project, agents) = await lite.SeedAsync("contention-4x2", claims, 8);
            var watch = Stopwatch.StartNew();
            var deadline = DateTime.UtcNow + ctx.Sizes.ContentionTimeLimit;
            var children = Enumerable.Range(0, 4).Select(i => RunChildAsync(lite.SqlitePath, project, agents.Skip(i * 2).Take(2), deadline)).ToArray();
            var parts = await Task.WhenAll(children);
            watch.Stop();
            var result = new RunResult(parts.Sum(p => p.Items), watch.Elapsed, parts.Sum(p => p.Exceptions), [.. parts.SelectMany(p => p.ClaimMilliseconds)]);
            var (done, wrong) = await lite.CheckNoDoubleAsync(project);
            Report(ctx, "4 processes × 2 workers", result, done, wrong, claims);
        }
    }

    /// <summary>A child process: claims and completes with its agents until the queue is empty; prints one JSON line.</summary>
    public static async Task<int> ChildAsync(string[] args)
    {
        var database = BenchDatabase.SqliteFile(args[1]);
        var project = Guid.Parse(args[2]);
        var agents = args[3].Split(',').Select(Guid.Parse).ToArray();
        var deadline = DateTime.Parse(args[4], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        await using var services = database.Services();
        var result = await LibraryWorkers.ClaimAndCompleteAsync(services, project, agents, deadline);
        Console.WriteLine(JsonSerializer.Serialize(new ChildResult(result.Items, result.Elapsed.TotalSeconds, result.Exceptions, result.ClaimMilliseconds)));
        return 0;
    }

    private static void Report(BenchContext ctx, string label, RunResult result, int done, int wrong, int claims)
    {
        var results = ctx.Results;
        // The run stops at its time limit if the queue is not empty by then: what was done must have been done once.
        results.Check($"exactly once: SQLite contention, {label}", done == result.Items && wrong == 0, $"{result.Items:N0} completed by the workers ({claims:N0} seeded), {done:N0} done once, {wrong:N0} wrong");
        results.Check($"no errors reach the caller: SQLite contention, {label}", result.Exceptions == 0, $"{result.Exceptions} exceptions in {result.Items:N0} claims");
        if (result.Items < claims)
        {
            results.Note($"SQLite contention, {label}: stopped at the time limit ({ctx.Sizes.ContentionTimeLimit.TotalSeconds:N0} s) after {result.Items:N0} of {claims:N0} claims.");
        }

        var p50 = result.Percentile(50);
        var p99 = result.Percentile(99);
        var max = result.ClaimMilliseconds.Length == 0 ? double.NaN : result.ClaimMilliseconds.Max();
        results.Measure(Section, $"{label}: claim+complete", result.PerSecond, "items/s", $"{result.Items:N0} items in {result.Elapsed.TotalSeconds:N1} s");
        results.Measure(Section, $"{label}: claim latency p50 / p99", p50, "ms", $"p99 {p99:N2} ms");
        results.Measure(Section, $"{label}: longest claim (max wait)", max, "ms");
        results.Absolute($"SQLite {label}: errors reaching the caller in {result.Items:N0} claims", result.Exceptions, "0 (the issue asks it in 100k claims)", result.Exceptions == 0, "errors");
        results.Absolute($"SQLite {label}: claim p99 / p50", p99 / p50, "≤ 10", p99 / p50 <= 10, "×");
        ctx.Log($"SQLite {label}: {result.PerSecond:N0} items/s, {result.Exceptions} errors, p50 {p50:N2} ms, p99 {p99:N2} ms, max {max:N0} ms, once {done}/{claims}");
    }

    private static async Task<RunResult> RunChildAsync(string path, Guid project, IEnumerable<Guid> agents, DateTime deadline)
    {
        // The harness runs as its apphost or as 'dotnet <dll>'; the child is started the same way.
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("The harness cannot find its own executable.");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(SqliteContention).Assembly.Location);
        }

        foreach (var argument in new[] { ChildFlag, path, project.ToString(), string.Join(',', agents), deadline.ToString("O", CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("The SQLite child process did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = await stdout;
        var errors = await stderr;
        if (errors.Length > 0)
        {
            await Console.Error.WriteAsync(errors);
        }

        var line = output.Split('\n').LastOrDefault(l => l.StartsWith('{'));
        if (process.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"The SQLite child process failed (exit {process.ExitCode.ToString(CultureInfo.InvariantCulture)}): {output}{errors}");
        }

        var child = JsonSerializer.Deserialize<ChildResult>(line)!;
        return new RunResult(child.Items, TimeSpan.FromSeconds(child.Seconds), child.Exceptions, child.ClaimMilliseconds);
    }

    private sealed record ChildResult(int Items, double Seconds, int Exceptions, double[] ClaimMilliseconds);
}
