using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AgentOrchestration.Data.Claims;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Benchmarks.Scenarios;

/// <summary>
/// SQLite under contention on one file: 8 workers in one process, then 4, 6 and 8 processes × 2 workers (child processes
/// of this harness, <c>--sqlite-child</c>, each warmed up before the start signal), with each process's share and latencies. Counts every exception that reaches the caller, the claim latency p50 / p99 and the
/// longest claim (the worst wait for the write lock), and checks nothing was completed twice. The issue's two modes (8
/// workers in one process, 4 processes × 2 workers) run its 100k claims (<see cref="Sizes.IssueContentionClaims"/>), the
/// others fewer. Each run stops starting claims at a time limit, so a starving writer cannot hold the whole benchmark.
/// </summary>
internal static class SqliteContention
{
    private const string Section = "SQLite contention";
    private const string ChildFlag = "--sqlite-child";

    /// <summary>Items each process claims and completes before the start signal, so its first timed write is not its first write.</summary>
    private const int WarmUpItems = 3;

    public static bool IsChild(string[] args) => args.Length > 0 && args[0] == ChildFlag;

    /// <summary>The process count of the issue's multi-process mode (4 processes × 2 workers).</summary>
    private const int IssueProcesses = 4;

    public static async Task RunAsync(BenchContext ctx)
    {
        var sizes = ctx.Sizes;
        await using (var lite = await BenchDatabase.SqliteAsync())
        {
            var claims = sizes.IssueContentionClaims;
            var limit = sizes.IssueContentionTimeLimit;
            await using var services = lite.Services();
            var (project, agents) = await lite.SeedAsync("contention-8", claims, 8);
            var (warmProject, warmAgents) = await lite.SeedAsync("contention-warm", WarmUpItems, 1);
            await WarmUpAsync(services, warmProject, warmAgents[0]);
            var result = await LibraryWorkers.ClaimAndCompleteAsync(services, project, agents, DateTime.UtcNow + limit);
            var (done, wrong) = await lite.CheckNoDoubleAsync(project);
            Report(ctx, "8 workers in one process", result, done, wrong, claims, limit, issue: true);
            ReportPerWorker(ctx, "8 workers in one process", result);
        }

        foreach (var processes in sizes.ContentionProcesses)
        {
            var issue = processes == IssueProcesses;
            await RunProcessesAsync(ctx, processes, issue ? sizes.IssueContentionClaims : sizes.SqliteContentionClaims, issue ? sizes.IssueContentionTimeLimit : sizes.ContentionTimeLimit, issue);
        }
    }

    /// <summary>
    /// <paramref name="processes"/> child processes × 2 workers on one file. Besides the totals, each process's share of the
    /// items and its own claim p50 / p99 / longest: a starved process shows here even when the totals look fine.
    /// </summary>
    private static async Task RunProcessesAsync(BenchContext ctx, int processes, int claims, TimeSpan limit, bool issue)
    {
        await using var lite = await BenchDatabase.SqliteAsync();
        var (project, agents) = await lite.SeedAsync($"contention-{processes}x2", claims, processes * 2);
        var (warmProject, warmAgents) = await lite.SeedAsync("contention-warm", processes * WarmUpItems, 1);
        var children = Enumerable.Range(0, processes)
            .Select(i => Child.Start(lite.SqlitePath, project, agents.Skip(i * 2).Take(2), warmProject, warmAgents[0], limit))
            .ToList();
        try
        {
            // Every child has started, built its model and claimed and completed work before any is timed: a cold start
            // (JIT, query compilation: seconds on a loaded box) runs inside the write transaction, where every other
            // process would wait through it, and that is not what this run measures.
            foreach (var child in children)
            {
                await child.ReadyAsync();
            }

            var watch = Stopwatch.StartNew();
            foreach (var child in children)
            {
                await child.GoAsync();
            }

            var parts = await Task.WhenAll(children.Select(c => c.ResultAsync()));
            watch.Stop();
            var result = new RunResult(parts.Sum(p => p.Items), watch.Elapsed, parts.Sum(p => p.Exceptions), [.. parts.SelectMany(p => p.ClaimMilliseconds)]);
            var (done, wrong) = await lite.CheckNoDoubleAsync(project);
            var label = $"{processes} processes × 2 workers";
            Report(ctx, label, result, done, wrong, claims, limit, issue);
            ReportPerProcess(ctx, label, parts);
        }
        finally
        {
            foreach (var child in children)
            {
                child.Dispose();
            }
        }
    }

    /// <summary>
    /// Each worker's share of the items against a fair share (the items over the workers): the in-process writer gate
    /// hands the write lock over first come, first served, so with equal workers no share may stray far from fair.
    /// </summary>
    private static void ReportPerWorker(BenchContext ctx, string label, RunResult result)
    {
        var shares = result.PerWorker;
        var fair = (double)result.Items / shares.Length;
        var fewest = shares.Min();
        var most = shares.Max();
        var each = string.Join(", ", shares.Select(n => n.ToString("N0", CultureInfo.InvariantCulture)));
        ctx.Results.Check($"SQLite contention, {label}: the workers' items add up to the run's", shares.Sum() == result.Items, $"{shares.Sum():N0} of {result.Items:N0}");
        ctx.Results.Check($"SQLite contention, {label}: every worker completed items (none starved)", fewest > 0, $"fewest {fewest:N0}");
        ctx.Results.Measure(Section, $"{label}: items per worker, fewest / most", fewest, "items", $"most {most:N0}, fair share {fair:N1}; each: {each}");
        ctx.Results.Absolute($"SQLite {label}: fewest worker's items / fair share", fewest / fair, "≥ 0.5", fewest / fair >= 0.5, "×");
        ctx.Results.Absolute($"SQLite {label}: most worker's items / fair share", most / fair, "≤ 1.5", most / fair <= 1.5, "×");
        ctx.Log($"SQLite {label} per worker: {each} (fair {fair:N1})");
    }

    /// <summary>The issue's fairness targets, per process: every process's claim p99 within 10× the run's p50, no claim over 2 s.</summary>
    private static void ReportPerProcess(BenchContext ctx, string label, RunResult[] parts)
    {
        var all = new RunResult(0, TimeSpan.Zero, 0, [.. parts.SelectMany(p => p.ClaimMilliseconds)]);
        var p50 = all.Percentile(50);
        var fewest = parts.Min(p => p.Items);
        var most = parts.Max(p => p.Items);
        var worstP99 = parts.Max(p => p.Percentile(99));
        var max = parts.Max(p => p.ClaimMilliseconds.DefaultIfEmpty(0).Max());
        var each = string.Join("; ", parts.Select((p, i) => string.Create(CultureInfo.InvariantCulture,
            $"#{i + 1}: {p.Items} items, p50 {p.Percentile(50):N1} / p99 {p.Percentile(99):N1} / max {p.ClaimMilliseconds.DefaultIfEmpty(0).Max():N0} ms")));
        ctx.Results.Measure(Section, $"{label}: items per process, fewest / most", fewest, "items", $"most {most:N0}; {each}");
        ctx.Results.Measure(Section, $"{label}: worst process's claim p99", worstP99, "ms", $"run p50 {p50:N2} ms");
        ctx.Results.Absolute($"SQLite {label}: worst process's claim p99 / run p50", worstP99 / p50, "≤ 10", worstP99 / p50 <= 10, "×");
        ctx.Results.Absolute($"SQLite {label}: longest claim of any process", max, "≤ 2000", max <= 2000, "ms");
        ctx.Log($"SQLite {label} per process: {each}");
    }

    /// <summary>
    /// A child process: warms up (a claim on an empty project), prints "ready", waits for "go" on its input, then claims
    /// and completes with its agents until the queue is empty or the time limit; prints one JSON line.
    /// </summary>
    public static async Task<int> ChildAsync(string[] args)
    {
        var database = BenchDatabase.SqliteFile(args[1]);
        var project = Guid.Parse(args[2]);
        var agents = args[3].Split(',').Select(Guid.Parse).ToArray();
        var warmProject = Guid.Parse(args[4]);
        var warmAgent = Guid.Parse(args[5]);
        var limit = TimeSpan.FromSeconds(double.Parse(args[6], CultureInfo.InvariantCulture));
        await using var services = database.Services();
        await WarmUpAsync(services, warmProject, warmAgent);
        Console.WriteLine("ready");
        if (await Console.In.ReadLineAsync() != "go")
        {
            return 1;
        }

        var result = await LibraryWorkers.ClaimAndCompleteAsync(services, project, agents, DateTime.UtcNow + limit);
        Console.WriteLine(JsonSerializer.Serialize(new ChildResult(result.Items, result.Elapsed.TotalSeconds, result.Exceptions, result.ClaimMilliseconds)));
        return 0;
    }

    /// <summary>Builds the model and runs the paths the timed run takes: claims that find work and completions.</summary>
    private static async Task WarmUpAsync(IServiceProvider services, Guid project, Guid agent)
    {
        await using var scope = services.CreateAsyncScope();
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        for (var i = 0; i < WarmUpItems; i++)
        {
            if (await claimer.ClaimNextAsync(agent, project) is not { } claimed)
            {
                return;
            }

            await claimer.CompleteAsync(claimed.Lease);
        }
    }

    /// <param name="issue">One of the issue's two modes: a target says whether all its claims ran within the limit.</param>
    private static void Report(BenchContext ctx, string label, RunResult result, int done, int wrong, int claims, TimeSpan limit, bool issue)
    {
        var results = ctx.Results;
        // The run stops at its time limit if the queue is not empty by then: what was done must have been done once.
        results.Check($"exactly once: SQLite contention, {label}", done == result.Items && wrong == 0, $"{result.Items:N0} completed by the workers ({claims:N0} seeded), {done:N0} done once, {wrong:N0} wrong");
        results.Check($"no errors reach the caller: SQLite contention, {label}", result.Exceptions == 0, $"{result.Exceptions} exceptions in {result.Items:N0} claims");
        if (result.Items < claims)
        {
            results.Note($"SQLite contention, {label}: stopped at the time limit ({limit.TotalSeconds:N0} s) after {result.Items:N0} of {claims:N0} claims.");
        }

        var p50 = result.Percentile(50);
        var p99 = result.Percentile(99);
        var max = result.ClaimMilliseconds.Length == 0 ? double.NaN : result.ClaimMilliseconds.Max();
        results.Measure(Section, $"{label}: claim+complete", result.PerSecond, "items/s", $"{result.Items:N0} items in {result.Elapsed.TotalSeconds:N1} s");
        results.Measure(Section, $"{label}: claim latency p50 / p99", p50, "ms", $"p99 {p99:N2} ms");
        results.Measure(Section, $"{label}: longest claim (max wait)", max, "ms");
        results.Absolute($"SQLite {label}: errors reaching the caller in {result.Items:N0} claims", result.Exceptions, "0 (the issue asks it in 100k claims)", result.Exceptions == 0, "errors");
        results.Absolute($"SQLite {label}: claim p99 / p50", p99 / p50, "≤ 10", p99 / p50 <= 10, "×");
        if (issue && !ctx.Sizes.IsQuick)
        {
            results.Absolute($"SQLite {label}: claims run within the time limit ({limit.TotalSeconds:N0} s)", result.Items, $"{claims:N0} (the issue's)", result.Items >= claims, "claims");
        }
        ctx.Log($"SQLite {label}: {result.PerSecond:N0} items/s, {result.Exceptions} errors, p50 {p50:N2} ms, p99 {p99:N2} ms, max {max:N0} ms, once {done}/{claims}");
    }

    /// <summary>One child process of the harness (started as the harness itself is: its apphost or 'dotnet dll').</summary>
    private sealed class Child : IDisposable
    {
        private readonly Process process;
        private readonly Task<string> stderr;

        private Child(Process process)
        {
            this.process = process;
            stderr = process.StandardError.ReadToEndAsync();
        }

        public static Child Start(string path, Guid project, IEnumerable<Guid> agents, Guid warmProject, Guid warmAgent, TimeSpan limit)
        {
            var self = Environment.ProcessPath ?? throw new InvalidOperationException("The harness cannot find its own executable.");
            var start = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            {
                start.ArgumentList.Add(typeof(SqliteContention).Assembly.Location);
            }

            foreach (var argument in new[] { ChildFlag, path, project.ToString(), string.Join(',', agents), warmProject.ToString(), warmAgent.ToString(), limit.TotalSeconds.ToString(CultureInfo.InvariantCulture) })
            {
                start.ArgumentList.Add(argument);
            }

            return new Child(Process.Start(start) ?? throw new InvalidOperationException("The SQLite child process did not start."));
        }

        public async Task ReadyAsync()
        {
            var line = await process.StandardOutput.ReadLineAsync();
            if (line != "ready")
            {
                await process.WaitForExitAsync();
                throw new InvalidOperationException($"The SQLite child process did not get ready (exit {process.ExitCode.ToString(CultureInfo.InvariantCulture)}): {line}{await stderr}");
            }
        }

        public async Task GoAsync()
        {
            await process.StandardInput.WriteLineAsync("go");
            await process.StandardInput.FlushAsync();
        }

        public async Task<RunResult> ResultAsync()
        {
            var output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
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

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
        }
    }

    private sealed record ChildResult(int Items, double Seconds, int Exceptions, double[] ClaimMilliseconds);
}
