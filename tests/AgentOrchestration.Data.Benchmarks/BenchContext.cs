using System.Diagnostics;

namespace AgentOrchestration.Data.Benchmarks;

/// <summary>What every scenario gets: the sizes of this run, the PostgreSQL server, the results and a log.</summary>
internal sealed class BenchContext(Sizes sizes, string postgresAdmin, Results results)
{
    private readonly Stopwatch clock = Stopwatch.StartNew();

    public Sizes Sizes { get; } = sizes;

    /// <summary>A connection string to the server's maintenance database, for creating and dropping the run's databases.</summary>
    public string PostgresAdmin { get; } = postgresAdmin;

    public Results Results { get; } = results;

    public TimeSpan Elapsed => clock.Elapsed;

    public void Log(string message) => Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] {message}");
}

/// <summary>
/// How big each scenario runs. <see cref="Full"/> is sized so the whole of <c>build/bench.sh</c> stays within 15 minutes
/// on the project's 2-core machine; <see cref="Quick"/> runs every scenario with a handful of items, for correctness.
/// </summary>
internal sealed record Sizes(
    bool IsQuick,
    int WarmUp,
    int PostgresItems,
    int EmbeddedPostgresItems,
    int SqliteItems,
    int SqliteContentionClaims,
    TimeSpan ContentionTimeLimit,
    int IssueContentionClaims,
    TimeSpan IssueContentionTimeLimit,
    int[] ContentionProcesses,
    int[] ScaleItems,
    int QueryRuns,
    TimeSpan QueryBudget,
    TimeSpan UnindexedQueryBudget,
    int ScaleClaims,
    TimeSpan ScaleClaimTimeLimit,
    int LockRounds,
    int NotifyEvents,
    int MemoryOperations,
    int TripCalls)
{
    public const int BatchSize = 50;

    public static Sizes Full { get; } = new(
        IsQuick: false,
        WarmUp: 200,
        PostgresItems: 10_000,

        // Three modes of one worker each, in three rounds: ~2,000 items a round is seconds of steady claims, and the
        // scenario stays near a minute and a half.
        EmbeddedPostgresItems: 6_000,
        SqliteItems: 3000,
        SqliteContentionClaims: 4000,
        ContentionTimeLimit: TimeSpan.FromSeconds(60),

        // The issue's 100k claims in its two modes (8 workers in one process, 4 processes × 2 workers), each stopped at
        // its time limit if the claims are slower than ~450/s: within the 15 minutes, with the note saying how far it got.
        IssueContentionClaims: 100_000,
        IssueContentionTimeLimit: TimeSpan.FromSeconds(220),
        ContentionProcesses: [4, 6, 8],
        ScaleItems: [10_000, 100_000, 1_000_000],
        QueryRuns: 15,
        QueryBudget: TimeSpan.FromSeconds(5),
        UnindexedQueryBudget: TimeSpan.FromSeconds(2),
        ScaleClaims: 100,
        ScaleClaimTimeLimit: TimeSpan.FromSeconds(20),
        LockRounds: 100,
        NotifyEvents: 20_000,
        MemoryOperations: 300,
        TripCalls: 50);

    public static Sizes Quick { get; } = new(
        IsQuick: true,
        WarmUp: 10,
        PostgresItems: 100,
        EmbeddedPostgresItems: 100,
        SqliteItems: 40,
        SqliteContentionClaims: 80,
        ContentionTimeLimit: TimeSpan.FromSeconds(10),
        IssueContentionClaims: 80,
        IssueContentionTimeLimit: TimeSpan.FromSeconds(10),
        ContentionProcesses: [4],
        ScaleItems: [2_000, 5_000],
        QueryRuns: 2,
        QueryBudget: TimeSpan.FromSeconds(1),
        UnindexedQueryBudget: TimeSpan.FromSeconds(1),
        ScaleClaims: 10,
        ScaleClaimTimeLimit: TimeSpan.FromSeconds(10),
        LockRounds: 5,
        NotifyEvents: 400,
        MemoryOperations: 20,
        TripCalls: 5);
}
