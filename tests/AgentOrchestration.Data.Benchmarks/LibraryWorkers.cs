using System.Collections.Concurrent;
using System.Diagnostics;
using AgentOrchestration.Data.Claims;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Benchmarks;

/// <summary>Claim-next + complete through the library, one agent (and one DI scope) per worker, until the queue is empty.</summary>
internal static class LibraryWorkers
{
    private const int MaxExceptionsPerWorker = 100;

    /// <remarks>With a <paramref name="deadline"/>, no new claim starts once it has passed (the queue may not be empty then).</remarks>
    public static async Task<RunResult> ClaimAndCompleteAsync(IServiceProvider services, Guid projectId, IReadOnlyList<Guid> agentIds, DateTime? deadline = null)
    {
        var latencies = new ConcurrentBag<double[]>();
        var exceptions = 0;
        var done = 0;
        var perWorker = new int[agentIds.Count];
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(agentIds.Select((agentId, worker) => Task.Run(async () =>
        {
            await using var scope = services.CreateAsyncScope();
            var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
            var mine = new List<double>();
            var failures = 0;
            while (failures < MaxExceptionsPerWorker && (deadline is null || DateTime.UtcNow < deadline))
            {
                try
                {
                    var started = Stopwatch.GetTimestamp();
                    var claimed = await claimer.ClaimNextAsync(agentId, projectId);
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    if (claimed is null)
                    {
                        break;
                    }

                    await claimer.CompleteAsync(claimed.Lease);
                    Interlocked.Increment(ref done);
                    perWorker[worker]++;
                }
#pragma warning disable CA1031 // Every exception that reaches the caller is what this run counts.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    failures++;
                    Interlocked.Increment(ref exceptions);
                    Console.Error.WriteLine($"  library worker: {exception.GetType().Name}: {exception.Message}");
                }
            }

            latencies.Add([.. mine]);
        })));
        watch.Stop();
        return new RunResult(done, watch.Elapsed, exceptions, [.. latencies.SelectMany(l => l)]) { PerWorker = perWorker };
    }

    /// <summary>
    /// Claim-next once, then each completion chained to the next claim (CompleteAndClaimNextAsync), one agent (and one DI
    /// scope) per worker, until the queue is empty; the latencies are the chained calls'.
    /// </summary>
    public static async Task<RunResult> ChainedAsync(IServiceProvider services, Guid projectId, IReadOnlyList<Guid> agentIds)
    {
        var latencies = new ConcurrentBag<double[]>();
        var exceptions = 0;
        var done = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(agentIds.Select(agentId => Task.Run(async () =>
        {
            await using var scope = services.CreateAsyncScope();
            var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
            var mine = new List<double>();
            var failures = 0;
            ClaimedWork? work = null;
            var started = Stopwatch.GetTimestamp();
            while (failures < MaxExceptionsPerWorker)
            {
                try
                {
                    started = Stopwatch.GetTimestamp();
                    if (work is null)
                    {
                        work = await claimer.ClaimNextAsync(agentId, projectId);
                        if (work is null)
                        {
                            break;
                        }

                        continue;
                    }

                    var next = await claimer.CompleteAndClaimNextAsync(work.Lease, agentId, projectId);
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    Interlocked.Increment(ref done);
                    work = next;
                    if (work is null)
                    {
                        break;
                    }
                }
#pragma warning disable CA1031 // Every exception that reaches the caller is what this run counts.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    failures++;
                    work = null;
                    Interlocked.Increment(ref exceptions);
                    Console.Error.WriteLine($"  library worker: {exception.GetType().Name}: {exception.Message}");
                }
            }

            latencies.Add([.. mine]);
        })));
        watch.Stop();
        return new RunResult(done, watch.Elapsed, exceptions, [.. latencies.SelectMany(l => l)]);
    }

    /// <summary>
    /// Batch claim + complete: each worker claims up to <paramref name="batchSize"/> items at once (ClaimBatchAsync) and
    /// completes them with one CompleteBatchAsync, until the queue is empty.
    /// </summary>
    public static async Task<RunResult> BatchClaimAndCompleteAsync(IServiceProvider services, Guid projectId, IReadOnlyList<Guid> agentIds, int batchSize)
    {
        var latencies = new ConcurrentBag<double[]>();
        var exceptions = 0;
        var done = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(agentIds.Select(agentId => Task.Run(async () =>
        {
            await using var scope = services.CreateAsyncScope();
            var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
            var mine = new List<double>();
            var failures = 0;
            while (failures < MaxExceptionsPerWorker)
            {
                try
                {
                    var started = Stopwatch.GetTimestamp();
                    var claimed = await claimer.ClaimBatchAsync(agentId, projectId, batchSize);
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    if (claimed.Count == 0)
                    {
                        break;
                    }

                    await claimer.CompleteBatchAsync([.. claimed.Select(work => work.Lease)]);
                    Interlocked.Add(ref done, claimed.Count);
                }
#pragma warning disable CA1031 // Every exception that reaches the caller is what this run counts.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    failures++;
                    Interlocked.Increment(ref exceptions);
                    Console.Error.WriteLine($"  library worker: {exception.GetType().Name}: {exception.Message}");
                }
            }

            latencies.Add([.. mine]);
        })));
        watch.Stop();
        return new RunResult(done, watch.Elapsed, exceptions, [.. latencies.SelectMany(l => l)]);
    }

    /// <summary>Claims everything with one agent, <paramref name="batchSize"/> at a time (1: ClaimNextAsync, more: ClaimBatchAsync); nothing is completed.</summary>
    public static async Task<RunResult> ClaimOnlyAsync(IServiceProvider services, Guid projectId, Guid agentId, int batchSize)
    {
        await using var scope = services.CreateAsyncScope();
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        var claimed = 0;
        var latencies = new List<double>();
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            var count = batchSize == 1
                ? (await claimer.ClaimNextAsync(agentId, projectId) is null ? 0 : 1)
                : (await claimer.ClaimBatchAsync(agentId, projectId, batchSize)).Count;
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (count == 0)
            {
                break;
            }

            claimed += count;
        }

        watch.Stop();
        return new RunResult(claimed, watch.Elapsed, 0, [.. latencies]);
    }
}
