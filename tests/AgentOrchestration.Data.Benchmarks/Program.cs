using System.Globalization;
using System.Text;
using AgentOrchestration.Data.Benchmarks;
using AgentOrchestration.Data.Claims;
using Microsoft.Extensions.DependencyInjection;

// The benchmarks of DESIGN.md §4, side by side in one run; build/bench.sh runs this with a throw-away PostgreSQL.
// Usage: AgentOrchestration.Data.Benchmarks [--scale 1.0] [--out results.md]; AO_TEST_POSTGRES names the server.
var scale = 1.0;
var output = "artifacts/bench/results.md";
for (var i = 0; i < args.Length - 1; i += 2)
{
    switch (args[i])
    {
        case "--scale": scale = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--out": output = args[i + 1]; break;
        default: throw new ArgumentException($"Unknown option '{args[i]}': use --scale <factor> or --out <file>.", nameof(args));
    }
}

var admin = Environment.GetEnvironmentVariable("AO_TEST_POSTGRES");
if (string.IsNullOrWhiteSpace(admin))
{
    await Console.Error.WriteLineAsync("bench: AO_TEST_POSTGRES is not set: run 'bash build/bench.sh', which starts PostgreSQL.");
    return 1;
}

int Sized(int n) => Math.Max(50, (int)(n * scale));
var pgItems = Sized(3000);
var batchItems = Sized(2000) / 50 * 50;
var sqliteItems = Sized(3000);
const int WarmUp = 200;
const int BatchSize = 50;

var report = new Report();
var started = DateTimeOffset.UtcNow;
var total = System.Diagnostics.Stopwatch.StartNew();
void Log(string message) => Console.WriteLine($"[{total.Elapsed:mm\\:ss}] {message}");

// 1. PostgreSQL claim-next + complete, library vs raw Npgsql, 1 and 16 workers.
RunResult lib1, lib16, raw1, raw16;
RunResult batchSingle, batchBatched;
await using (var pg = await BenchDatabase.PostgresAsync(admin))
{
    await using var services = pg.Services();

    async Task<RunResult> LibraryAsync(string label, int items, int workers)
    {
        var (project, agents) = await pg.SeedAsync(label, items, workers);
        var result = await LibraryWorkers.ClaimAndCompleteAsync(services, project, agents);
        var (done, wrong) = await pg.CheckCompletedOnceAsync(project, items);
        report.Check($"PostgreSQL library, {workers} worker(s)", done, items, wrong);
        Log($"{label}: {result.PerSecond:N0} items/s ({result.Items} in {result.Elapsed.TotalSeconds:N1}s), exceptions {result.Exceptions}, completed once {done}/{items}");
        return result;
    }

    async Task<RunResult> RawAsync(string label, int items, int workers)
    {
        var (project, agents) = await pg.SeedAsync(label, items, workers);
        var result = await RawWorkers.ClaimAndCompleteAsync(pg.ConnectionString, project, agents);
        var (done, wrong) = await pg.CheckCompletedOnceAsync(project, items);
        report.Check($"PostgreSQL raw SQL, {workers} worker(s)", done, items, wrong);
        Log($"{label}: {result.PerSecond:N0} items/s ({result.Items} in {result.Elapsed.TotalSeconds:N1}s), completed once {done}/{items}");
        return result;
    }

    Log($"PostgreSQL warm-up ({WarmUp} items per mode)");
    await LibraryAsync("warm-lib", WarmUp, 4);
    await RawAsync("warm-raw", WarmUp, 4);

    // Alternating baseline and library so drift of the shared machine hits both alike.
    raw1 = await RawAsync("raw-1", pgItems, 1);
    lib1 = await LibraryAsync("lib-1", pgItems, 1);
    raw16 = await RawAsync("raw-16", pgItems, 16);
    lib16 = await LibraryAsync("lib-16", pgItems, 16);

    // 2. Batch claim of 50 vs 50 single claims (claims only, one agent).
    async Task<RunResult> ClaimOnlyAsync(string label, int items, int batch)
    {
        var (project, agents) = await pg.SeedAsync(label, items, 1);
        var result = await LibraryWorkers.ClaimOnlyAsync(services, project, agents[0], batch);
        var (claimed, doubled) = await pg.CheckClaimedOnceAsync(project);
        report.Check($"PostgreSQL claims in batches of {batch}", claimed, items, doubled);
        Log($"{label}: {result.PerSecond:N0} claims/s ({result.Items} in {result.Elapsed.TotalSeconds:N1}s)");
        return result;
    }

    await ClaimOnlyAsync("warm-batch", WarmUp, BatchSize);
    batchSingle = await ClaimOnlyAsync("single", batchItems, 1);
    batchBatched = await ClaimOnlyAsync("batch-50", batchItems, BatchSize);
}

// 3. SQLite (a WAL file in a temp dir), library, 1 and 8 workers.
RunResult lite1, lite8;
await using (var lite = await BenchDatabase.SqliteAsync())
{
    await using var services = lite.Services();

    async Task<RunResult> SqliteAsync(string label, int items, int workers)
    {
        var (project, agents) = await lite.SeedAsync(label, items, workers);
        var result = await LibraryWorkers.ClaimAndCompleteAsync(services, project, agents);
        var (done, wrong) = await lite.CheckCompletedOnceAsync(project, items);
        report.Check($"SQLite library, {workers} worker(s)", done, items, wrong);
        Log($"{label}: {result.PerSecond:N0} items/s ({result.Items} in {result.Elapsed.TotalSeconds:N1}s), exceptions {result.Exceptions}, p50 {result.Percentile(50):N2} ms, p99 {result.Percentile(99):N2} ms");
        return result;
    }

    Log($"SQLite warm-up ({WarmUp} items)");
    await SqliteAsync("warm-sqlite", WarmUp, 4);
    lite1 = await SqliteAsync("sqlite-1", sqliteItems, 1);
    lite8 = await SqliteAsync("sqlite-8", sqliteItems, 8);
}

// 4. Round trips per claim and per complete, one worker, counted.
async Task<(RoundTripCounter.PhaseCount Claim, RoundTripCounter.PhaseCount Complete)> CountAsync(BenchDatabase database, int items)
{
    using var counter = new RoundTripCounter();
    await using var services = database.Services(counter.Commands, counter.Transactions);
    var (project, agents) = await database.SeedAsync("trips", items + 10, 1);
    await using var scope = services.CreateAsyncScope();
    var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
    for (var i = 0; i < 10; i++)
    {
        await claimer.CompleteAsync((await claimer.ClaimNextAsync(agents[0], project))!.Lease);
    }

    var claim = new RoundTripCounter.PhaseCount();
    var complete = new RoundTripCounter.PhaseCount();
    for (var i = 0; i < items; i++)
    {
        counter.Phase = claim;
        var claimed = await claimer.ClaimNextAsync(agents[0], project)
            ?? throw new InvalidOperationException("The round-trip count ran out of items.");
        claim.Calls++;
        counter.Phase = complete;
        await claimer.CompleteAsync(claimed.Lease);
        complete.Calls++;
        counter.Phase = null;
    }

    return (claim, complete);
}

Log("round trips");
const int TripItems = 100;
(RoundTripCounter.PhaseCount Claim, RoundTripCounter.PhaseCount Complete) pgTrips, liteTrips;
await using (var pg = await BenchDatabase.PostgresAsync(admin))
{
    pgTrips = await CountAsync(pg, TripItems);
}

await using (var lite = await BenchDatabase.SqliteAsync())
{
    liteTrips = await CountAsync(lite, TripItems);
}

Log($"done in {total.Elapsed:mm\\:ss}");
var markdown = report.Render(new Report.Inputs(
    started, Environment.ProcessorCount, total.Elapsed, scale, pgItems, batchItems, sqliteItems,
    lib1, lib16, raw1, raw16, batchSingle, batchBatched, lite1, lite8, pgTrips, liteTrips));
var directory = Path.GetDirectoryName(Path.GetFullPath(output))!;
Directory.CreateDirectory(directory);
await File.WriteAllTextAsync(output, markdown, Encoding.UTF8);
Console.WriteLine();
Console.WriteLine(markdown);
return report.Failed ? 2 : 0;
