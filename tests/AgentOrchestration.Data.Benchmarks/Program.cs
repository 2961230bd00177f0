using System.Globalization;
using System.Text;
using AgentOrchestration.Data.Benchmarks;
using AgentOrchestration.Data.Benchmarks.Scenarios;

// The performance benchmarks (docs/performance.md), side by side in one run; build/bench.sh runs this with a throw-away PostgreSQL.
// Usage: AgentOrchestration.Data.Benchmarks [--quick] [--only name,name] [--scale-items 10000,100000] [--contention-processes 4,8] [--contention-claims 4000] [--out dir];
// AO_TEST_POSTGRES names the server.
// Exit codes: 0 done, 1 bad usage or no server, 2 a correctness check failed (the numbers are then not to be trusted).
if (SqliteContention.IsChild(args))
{
    return await SqliteContention.ChildAsync(args);
}

var scenarios = new (string Name, Func<BenchContext, Task> Run)[]
{
    ("trips", RoundTrips.RunAsync),
    ("postgres", PostgresThroughput.RunAsync),
    ("sqlite", SqliteThroughput.RunAsync),
    ("embedded", EmbeddedThroughput.RunAsync),
    ("contention", SqliteContention.RunAsync),
    ("locks", LockContention.RunAsync),
    ("notify", NotifyCost.RunAsync),
    ("memory", Allocations.RunAsync),
    ("overhead", Overhead.RunAsync),
    ("scale", Scale.RunAsync),
};

var quick = false;
var output = "artifacts/bench";
string[]? only = null;
int[]? scaleItems = null;
int[]? contentionProcesses = null;
int? contentionClaims = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--quick": quick = true; break;
        case "--out" when i + 1 < args.Length: output = args[++i]; break;
        case "--only" when i + 1 < args.Length: only = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
        case "--contention-processes" when i + 1 < args.Length: contentionProcesses = [.. args[++i].Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture))]; break;
        case "--contention-claims" when i + 1 < args.Length: contentionClaims = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--scale-items" when i + 1 < args.Length: scaleItems = [.. args[++i].Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture))]; break;
        default:
            await Console.Error.WriteLineAsync($"bench: unknown option '{args[i]}': use --quick, --out <directory>, --only <{string.Join('|', scenarios.Select(s => s.Name))}>[,...], --scale-items <n>[,...], --contention-processes <n>[,...], --contention-claims <n>");
            return 1;
    }
}

if (only?.FirstOrDefault(o => scenarios.All(s => s.Name != o)) is { } unknown)
{
    await Console.Error.WriteLineAsync($"bench: unknown scenario '{unknown}' in --only: use {string.Join(", ", scenarios.Select(s => s.Name))}");
    return 1;
}

var admin = Environment.GetEnvironmentVariable("AO_TEST_POSTGRES");
if (string.IsNullOrWhiteSpace(admin))
{
    await Console.Error.WriteLineAsync("bench: AO_TEST_POSTGRES is not set: run 'bash build/bench.sh', which starts PostgreSQL.");
    return 1;
}

var results = new Results();
await using (var server = new Npgsql.NpgsqlConnection(admin))
{
    await server.OpenAsync();
    await using var sqlite = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=:memory:");
    await sqlite.OpenAsync();
    results.Note($"PostgreSQL {server.PostgreSqlVersion} (Npgsql {typeof(Npgsql.NpgsqlConnection).Assembly.GetName().Version}), SQLite {sqlite.ServerVersion}, .NET {Environment.Version}, {Environment.ProcessorCount} cores.");
}

var sizes = quick ? Sizes.Quick : Sizes.Full;
sizes = scaleItems is null ? sizes : sizes with { ScaleItems = scaleItems };
sizes = contentionProcesses is null ? sizes : sizes with { ContentionProcesses = contentionProcesses };
sizes = contentionClaims is null ? sizes : sizes with { SqliteContentionClaims = contentionClaims.Value, IssueContentionClaims = contentionClaims.Value };
var ctx = new BenchContext(sizes, admin, results);
var started = DateTimeOffset.UtcNow;
foreach (var (name, run) in scenarios.Where(s => only is null || only.Contains(s.Name)))
{
    ctx.Log($"== {name}");
    var scenarioStarted = ctx.Elapsed;
    try
    {
        await run(ctx);
        results.Measure("Run", $"scenario '{name}'", (ctx.Elapsed - scenarioStarted).TotalSeconds, "s");
    }
#pragma warning disable CA1031 // A scenario that breaks is a failed check of the run; the others still run and report.
    catch (Exception exception)
#pragma warning restore CA1031
    {
        results.Check($"scenario '{name}' ran to the end", false, $"{exception.GetType().Name}: {exception.Message}");
        await Console.Error.WriteLineAsync(exception.ToString());
    }
}

ctx.Log($"done in {ctx.Elapsed:mm\\:ss}");
// The whole of bench.sh (its build and server start included, when it passes its start time) against the 15-minute budget.
var total = long.TryParse(Environment.GetEnvironmentVariable("AO_BENCH_STARTED"), CultureInfo.InvariantCulture, out var since)
    ? DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeSeconds(since)
    : ctx.Elapsed;
results.Measure("Run", "whole run", total.TotalSeconds, "s", since > 0 ? "bench.sh: build, server start and every scenario" : "this process (bench.sh's build and server start not included)");
if (!quick && only is null)
{
    results.Absolute("bench.sh, every scenario at full size", total.TotalMinutes, "< 15 min", total.TotalMinutes < 15, "min");
}

var info = new Results.RunInfo(started, Environment.ProcessorCount, ctx.Elapsed, quick, string.Join(' ', args));
Directory.CreateDirectory(output);
var markdown = results.ToMarkdown(info);
await File.WriteAllTextAsync(Path.Combine(output, "results.md"), markdown, new UTF8Encoding(false));
await File.WriteAllTextAsync(Path.Combine(output, "results.json"), results.ToJson(info), new UTF8Encoding(false));
Console.WriteLine();
Console.WriteLine(markdown.Split("\n## Plans")[0]);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench: {results.Checks.Count(c => c.Ok)} checks passed, {results.Checks.Count(c => !c.Ok)} failed; {results.Targets.Count(t => t.Met)} of {results.Targets.Count} targets met; wrote {output}/results.md and results.json"));
return results.Failed ? 2 : 0;
