using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Benchmarks.Scenarios;

/// <summary>
/// Round trips per operation on both providers, counted by <see cref="RoundTripCounter"/>: claim, complete, renew,
/// heartbeat, lock acquire, release, renew and release of all (one uncontended path each), an acquire refused by another
/// session's lock, and a batch claim of 50; one caller, each operation once unmeasured first.
/// </summary>
internal static class RoundTrips
{
    public static async Task RunAsync(BenchContext ctx)
    {
        await using (var pg = await BenchDatabase.PostgresAsync(ctx.PostgresAdmin))
        {
            await CountAsync(ctx, pg, "PostgreSQL");
        }

        await using (var lite = await BenchDatabase.SqliteAsync())
        {
            await CountAsync(ctx, lite, "SQLite");
        }
    }

    private static async Task CountAsync(BenchContext ctx, BenchDatabase database, string provider)
    {
        var calls = ctx.Sizes.TripCalls;
        var (project, agents) = await database.SeedAsync("trips", (2 * calls) + 2 + Sizes.BatchSize + 2, 1);
        using var counter = new RoundTripCounter();
        await using var services = database.Services(counter);
        await using var scope = services.CreateAsyncScope();
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        var sessions = scope.ServiceProvider.GetRequiredService<ISessionService>();
        var locks = scope.ServiceProvider.GetRequiredService<IFileLockService>();
        var session = await sessions.StartAsync(new SessionStart(project, SessionAgentType.Implementation) { AgentId = agents[0] });

        async Task<RoundTripCounter.Phase> MeasureAsync(string operation, Func<int, Task> call)
        {
            await call(-1);
            var phase = new RoundTripCounter.Phase(operation);
            for (var i = 0; i < calls; i++)
            {
                counter.Current = phase;
                await call(i);
                counter.Current = null;
                phase.Calls++;
            }

            ctx.Results.AddTrips(phase.Report(provider, database.IsPostgres));
            return phase;
        }

        var leases = new Queue<WorkLease>();
        var claim = await MeasureAsync("claim", async _ => leases.Enqueue((await claimer.ClaimNextAsync(agents[0], project) ?? throw new InvalidOperationException("The round-trip count ran out of items.")).Lease));
        var complete = await MeasureAsync("complete", _ => claimer.CompleteAsync(leases.Dequeue()));
        var held = (await claimer.ClaimNextAsync(agents[0], project))!.Lease;
        var renew = await MeasureAsync("renew", async _ => held = (await claimer.RenewAsync(held)).Lease);
        var heartbeat = await MeasureAsync("heartbeat", _ => sessions.HeartbeatAsync(session.SessionId));
        var acquire = await MeasureAsync("lock acquire", i => locks.AcquireAsync(session.SessionId, [$"src/trip{i + 1}.cs"], FileLockType.Exclusive, TimeSpan.FromMinutes(10)));
        var release = await MeasureAsync("lock release", i => locks.ReleaseAsync(session.SessionId, [$"src/trip{i + 1}.cs"]));
        await locks.AcquireAsync(session.SessionId, ["src/held/**", "docs/held.md"], FileLockType.Exclusive, TimeSpan.FromMinutes(10));
        var lockRenew = await MeasureAsync("lock renew", _ => locks.RenewAsync(session.SessionId, TimeSpan.FromMinutes(10)));

        // Each call releases the two locks taken (uncounted) just before it.
        var releaseAll = await MeasureAsync("lock release all", async i =>
        {
            var phase = counter.Current;
            counter.Current = null;
            await locks.AcquireAsync(session.SessionId, [$"src/all{i + 1}/**", $"docs/all{i + 1}.md"], FileLockType.Exclusive, TimeSpan.FromMinutes(10));
            counter.Current = phase;
            await locks.ReleaseAllAsync(session.SessionId);
        });

        // Refused: another session of the project holds the glob exclusively.
        var holder = await sessions.StartAsync(new SessionStart(project, SessionAgentType.Implementation));
        await locks.AcquireAsync(holder.SessionId, ["lib/**"], FileLockType.Exclusive, TimeSpan.FromMinutes(10));
        var refusals = 0;
        var refused = await MeasureAsync("refused lock acquire", async i =>
        {
            try
            {
                await locks.AcquireAsync(session.SessionId, [$"lib/trip{i + 1}.cs"], FileLockType.Shared, TimeSpan.FromMinutes(10));
            }
            catch (FileLockConflictException)
            {
                refusals++;
            }
        });
        ctx.Results.Check($"{provider} refused lock acquire was refused every time", refusals == calls + 1, $"{refusals} of {calls + 1} refused");
        var batch = new RoundTripCounter.Phase($"batch claim of {Sizes.BatchSize}");
        counter.Current = batch;
        var claimed = await claimer.ClaimBatchAsync(agents[0], project, Sizes.BatchSize);
        counter.Current = null;
        batch.Calls++;
        ctx.Results.AddTrips(batch.Report(provider, database.IsPostgres));
        ctx.Results.Check($"{provider} batch claim of {Sizes.BatchSize} claimed {Sizes.BatchSize}", claimed.Count == Sizes.BatchSize, $"{claimed.Count} claimed");
        var batchComplete = new RoundTripCounter.Phase($"batch complete of {Sizes.BatchSize}");
        counter.Current = batchComplete;
        await claimer.CompleteBatchAsync([.. claimed.Select(c => c.Lease)]);
        counter.Current = null;
        batchComplete.Calls++;
        ctx.Results.AddTrips(batchComplete.Report(provider, database.IsPostgres));
        if (database.IsPostgres)
        {
            var report = batchComplete.Report(provider, database.IsPostgres);
            ctx.Results.Absolute($"PostgreSQL round trips per batch complete of {Sizes.BatchSize}", report.RoundTripsPerCall, "≤ 1", report.RoundTripsPerCall <= 1, "round trips");
        }

        foreach (var phase in new[] { claim, complete, renew, heartbeat, acquire, release, lockRenew, releaseAll, refused })
        {
            var report = phase.Report(provider, database.IsPostgres);
            if (database.IsPostgres)
            {
                ctx.Results.Absolute($"PostgreSQL round trips per {phase.Operation}", report.RoundTripsPerCall, "≤ 1", report.RoundTripsPerCall <= 1, "round trips");
            }
            else if (phase != renew)
            {
                // The SQLite shape: one write transaction of at most 3 statements (BEGIN and COMMIT not counted);
                // for claim and complete as the issue asks, and for the heartbeat and file locks, the other hot paths.
                var statements = (double)(phase.Sent - phase.Transactions - phase.Commits) / phase.Calls;
                var transactions = (double)phase.Transactions / phase.Calls;
                ctx.Results.Absolute($"SQLite statements per {phase.Operation} inside its transaction ({transactions:0.##} write transactions per call)", statements, "≤ 3 in 1 write transaction", statements <= 3 && transactions <= 1, "statements");
                ctx.Results.Absolute($"SQLite LINQ queries through EF's query cache per {phase.Operation} (compiled queries or plain SQL instead)", report.LinqQueriesPerCall, "0", report.LinqQueriesPerCall == 0, "queries");
            }

            ctx.Log($"{provider} {phase.Operation}: {report.RoundTripsPerCall:0.##} round trips, {report.EfCommandsPerCall:0.##} EF commands, {report.TransactionsPerCall:0.##} transactions per call");
        }
    }
}
