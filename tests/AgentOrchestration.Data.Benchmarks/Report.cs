using System.Globalization;
using System.Text;

namespace AgentOrchestration.Data.Benchmarks;

/// <summary>Collects the double-claim checks and renders the results table with the DESIGN.md §4 targets next to the numbers.</summary>
internal sealed class Report
{
    private readonly List<string> checks = [];

    public bool Failed { get; private set; }

    public void Check(string run, int once, int expected, int wrong)
    {
        var ok = once == expected && wrong == 0;
        Failed |= !ok;
        checks.Add($"| {run} | {expected:N0} | {once:N0} | {wrong:N0} | {(ok ? "ok" : "**FAILED**")} |");
    }

    public string Render(Inputs i)
    {
        static string N(double value) => value.ToString("N0", CultureInfo.InvariantCulture);
        static string R(double value) => value.ToString("0.00", CultureInfo.InvariantCulture) + "×";
        static string Ms(double value) => value.ToString("0.00", CultureInfo.InvariantCulture) + " ms";
        static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
        static string Met(bool met) => met ? "met" : "**not met**";

        var libRaw1 = i.Lib1.PerSecond / i.Raw1.PerSecond;
        var libRaw16 = i.Lib16.PerSecond / i.Raw16.PerSecond;
        var rawScaling = i.Raw16.PerSecond / i.Raw1.PerSecond;
        var libScaling = i.Lib16.PerSecond / i.Lib1.PerSecond;
        var batchRatio = i.BatchBatched.PerSecond / i.BatchSingle.PerSecond;
        var liteExceptions = i.Lite1.Exceptions + i.Lite8.Exceptions;
        var tail = i.Lite8.Percentile(99) / i.Lite8.Percentile(50);
        static double Per(int count, int calls) => (double)count / calls;
        var pgClaimTrips = Per(i.PgTrips.Claim.NpgsqlActivities, i.PgTrips.Claim.Calls);
        var pgClaimCommits = Per(i.PgTrips.Claim.Commits, i.PgTrips.Claim.Calls);

        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"Run {i.Started:yyyy-MM-dd HH:mm} UTC, {i.Cores} cores, {i.Total:mm\\:ss} in all (scale {F(i.Scale)}: {N(i.PgItems)} items per PostgreSQL run, {N(i.BatchItems)} per batch run, {N(i.SqliteItems)} per SQLite run).");
        s.AppendLine();
        s.AppendLine("| Measurement | Result | DESIGN §4 target | |");
        s.AppendLine("| --- | ---: | --- | --- |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| PostgreSQL raw SQL claim+complete, 1 worker | {N(i.Raw1.PerSecond)} items/s | (baseline; ~5,700/s anchor) | |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| PostgreSQL raw SQL claim+complete, 16 workers | {N(i.Raw16.PerSecond)} items/s | (baseline; 7,000–7,900/s anchor) | |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| PostgreSQL library claim+complete, 1 worker | {N(i.Lib1.PerSecond)} items/s | | |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| PostgreSQL library claim+complete, 16 workers | {N(i.Lib16.PerSecond)} items/s | | |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| library / raw, 1 worker | {R(libRaw1)} | | |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| library / raw, 16 workers | {R(libRaw16)} | ≥ 0.85× | {Met(libRaw16 >= 0.85)} |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| raw SQL scaling 16 / 1 workers | {R(rawScaling)} | (about 1.2× on 2 cores) | |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| library scaling 16 / 1 workers | {R(libScaling)} | | |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| library scaling / raw scaling | {R(libScaling / rawScaling)} | ≥ 0.9× | {Met(libScaling / rawScaling >= 0.9)} |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| PostgreSQL single claims (ClaimNextAsync), 1 agent | {N(i.BatchSingle.PerSecond)} claims/s | (baseline) | |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| PostgreSQL batch claims of 50 (ClaimBatchAsync), 1 agent | {N(i.BatchBatched.PerSecond)} claims/s | | |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| batch of 50 / single claims | {R(batchRatio)} | ≥ 5× | {Met(batchRatio >= 5)} |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| SQLite library claim+complete, 1 worker | {N(i.Lite1.PerSecond)} items/s | (~12,000/s raw anchor) | |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| SQLite library claim+complete, 8 workers | {N(i.Lite8.PerSecond)} items/s | | |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| SQLite exceptions reaching the caller (1 + 8 workers) | {liteExceptions} | 0 | {Met(liteExceptions == 0)} |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| SQLite claim latency, 1 worker, p50 / p99 | {Ms(i.Lite1.Percentile(50))} / {Ms(i.Lite1.Percentile(99))} | | |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| SQLite claim latency, 8 workers, p50 / p99 | {Ms(i.Lite8.Percentile(50))} / {Ms(i.Lite8.Percentile(99))} | p99 ≤ 10× p50 | {Met(tail <= 10)} ({R(tail)}) |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| PostgreSQL claim latency, library 16 workers, p50 / p99 | {Ms(i.Lib16.Percentile(50))} / {Ms(i.Lib16.Percentile(99))} | | |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| PostgreSQL round trips per claim (Npgsql commands/batches) | {F(pgClaimTrips)} | ≤ 1 | {Met(pgClaimTrips <= 1)} |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| PostgreSQL explicit commits per claim (EF) | {F(pgClaimCommits)} | ≤ 1 | {Met(pgClaimCommits <= 1)} |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| PostgreSQL EF commands per claim / per complete | {F(Per(i.PgTrips.Claim.EfCommands, i.PgTrips.Claim.Calls))} / {F(Per(i.PgTrips.Complete.EfCommands, i.PgTrips.Complete.Calls))} | | |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| PostgreSQL round trips per complete (Npgsql commands/batches) / explicit commits | {F(Per(i.PgTrips.Complete.NpgsqlActivities, i.PgTrips.Complete.Calls))} / {F(Per(i.PgTrips.Complete.Commits, i.PgTrips.Complete.Calls))} | | |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| SQLite EF commands per claim / per complete | {F(Per(i.LiteTrips.Claim.EfCommands, i.LiteTrips.Claim.Calls))} / {F(Per(i.LiteTrips.Complete.EfCommands, i.LiteTrips.Complete.Calls))} | | |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| SQLite EF commits per claim / per complete | {F(Per(i.LiteTrips.Claim.Commits, i.LiteTrips.Claim.Calls))} / {F(Per(i.LiteTrips.Complete.Commits, i.LiteTrips.Complete.Calls))} | | |");
        s.AppendLine();
        s.AppendLine("Double claims (every item must end with exactly one completed assignment; claim-only runs: exactly one assignment):");
        s.AppendLine();
        s.AppendLine("| Run | Items | Once | Wrong | |");
        s.AppendLine("| --- | ---: | ---: | ---: | --- |");
        foreach (var line in checks)
        {
            s.AppendLine(line);
        }

        return s.ToString();
    }

    /// <summary>Everything one run measured.</summary>
    internal sealed record Inputs(
        DateTimeOffset Started, int Cores, TimeSpan Total, double Scale, int PgItems, int BatchItems, int SqliteItems,
        RunResult Lib1, RunResult Lib16, RunResult Raw1, RunResult Raw16, RunResult BatchSingle, RunResult BatchBatched,
        RunResult Lite1, RunResult Lite8,
        (RoundTripCounter.PhaseCount Claim, RoundTripCounter.PhaseCount Complete) PgTrips,
        (RoundTripCounter.PhaseCount Claim, RoundTripCounter.PhaseCount Complete) LiteTrips);
}
