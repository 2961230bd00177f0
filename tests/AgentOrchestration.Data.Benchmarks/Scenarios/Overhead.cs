using System.Diagnostics;
using AgentOrchestration.Data.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Benchmarks.Scenarios;

/// <summary>
/// The cost of each layer between the public API and the SQL, side by side in one run: claim + complete through
/// <see cref="IWorkClaimer"/> as registered (retry policy and telemetry around the claimer), through each inner layer
/// the registration builds on (resolved by type name, so the scenario measures whichever layers the library has), and
/// through the registered claimer with a fresh DI scope (and pooled context) per claim + complete. The layers take turns
/// in short rounds on one PostgreSQL database, so drift of the shared machine hits them alike. Per layer: the median of
/// claim + complete and the managed bytes allocated per claim and per complete (<see cref="GC.GetTotalAllocatedBytes(bool)"/>,
/// as in <see cref="Allocations"/>).
/// </summary>
internal static class Overhead
{
    private const string Section = "Overhead per layer";

    /// <summary>The inner layers, outermost first, by the type that implements <see cref="IWorkClaimer"/> at that depth.</summary>
    private static readonly (string Label, string TypeName)[] InnerLayers =
    [
        ("telemetry only (Instrumented)", "AgentOrchestration.Data.Diagnostics.InstrumentedWorkClaimer"),
        ("the claimer alone (no retry, no telemetry)", "AgentOrchestration.Data.Claims.WorkClaimer"),
    ];

    /// <summary>Whether to profile the registered claimer's allocations by type after the measured rounds (AO_BENCH_ALLOCATION_TYPES=1).</summary>
    private static bool Sampling => Environment.GetEnvironmentVariable("AO_BENCH_ALLOCATION_TYPES") is "1";

    public static async Task RunAsync(BenchContext ctx)
    {
        var rounds = ctx.Sizes.IsQuick ? 2 : 12;
        var perRound = ctx.Sizes.IsQuick ? 5 : 50;
        var library = typeof(IWorkClaimer).Assembly;
        await using var pg = await BenchDatabase.PostgresAsync(ctx.PostgresAdmin);
        await using var services = pg.Services();

        var layers = new List<Layer> { new("as registered (public IWorkClaimer, one scope)", PerScope: false, null) };
        foreach (var (label, typeName) in InnerLayers)
        {
            if (library.GetType(typeName) is { } type && typeof(IWorkClaimer).IsAssignableFrom(type) && ResolvesIn(services, type))
            {
                layers.Add(new Layer(label, PerScope: false, type));
            }
        }

        layers.Add(new Layer("as registered, a new scope per claim + complete", PerScope: true, null));
        var (project, agents) = await pg.SeedAsync("overhead", (rounds * perRound * layers.Count) + (20 * layers.Count) + (Sampling ? ctx.Sizes.MemoryOperations : 0), layers.Count);

        await using var shared = services.CreateAsyncScope();
        var measured = layers.Select((layer, i) => new Measured(layer, agents[i], Resolve(shared.ServiceProvider, layer))).ToList();

        // Warm every path (EF's compiled model and queries, prepared statements, the JIT) before anything is counted.
        foreach (var m in measured)
        {
            for (var i = 0; i < 20; i++)
            {
                await m.RunOnceAsync(services, project);
            }

            m.Reset();
        }

        for (var round = 0; round < rounds; round++)
        {
            foreach (var m in measured)
            {
                for (var i = 0; i < perRound; i++)
                {
                    await m.RunOnceAsync(services, project);
                }
            }
        }

        var outer = measured[0];
        foreach (var m in measured)
        {
            var detail = $"{m.Count} claim + complete, one caller; {m.ClaimKiB:N1} KiB per claim, {m.CompleteKiB:N1} KiB per complete";
            ctx.Results.Measure(Section, $"{m.Layer.Label}: claim + complete p50", m.MedianMicroseconds, "µs", detail);
            ctx.Results.Measure(Section, $"{m.Layer.Label}: allocated per claim", m.ClaimKiB, "KiB");
            ctx.Results.Measure(Section, $"{m.Layer.Label}: allocated per complete", m.CompleteKiB, "KiB");
            ctx.Log($"{m.Layer.Label,-52} p50 {m.MedianMicroseconds,8:N0} µs ({m.MedianMicroseconds - outer.MedianMicroseconds,+7:N0} vs registered)   "
                + $"claim {m.ClaimKiB,6:N2} KiB ({m.ClaimKiB - outer.ClaimKiB,+6:N2})   complete {m.CompleteKiB,6:N2} KiB ({m.CompleteKiB - outer.CompleteKiB,+6:N2})");
        }

        var scopes = ctx.Sizes.IsQuick ? 100 : 5000;
        await MeasureScopesAsync(ctx, "turnkey (pooled context)", services, scopes);

        // An embedded host registers its own context: per scope, AddDbContext builds a context and AddDbContextPool leases one.
        foreach (var (label, pooled) in new[] { ("embedded, AddDbContext", false), ("embedded, AddDbContextPool", true) })
        {
            var host = new ServiceCollection();
            if (pooled)
            {
                host.AddDbContextPool<AgentOrchestrationDbContext>(o => o.UseAgentOrchestrationPostgreSql(pg.ConnectionString));
            }
            else
            {
                host.AddDbContext<AgentOrchestrationDbContext>(o => o.UseAgentOrchestrationPostgreSql(pg.ConnectionString));
            }

            host.AddAgentOrchestration(o => o.UseDbContext<AgentOrchestrationDbContext>());
            await using var hostServices = host.BuildServiceProvider();
            await MeasureScopesAsync(ctx, label, hostServices, scopes);
        }

        if (Sampling)
        {
            await SampleTypesAsync(ctx, outer, services, project);
        }

        var (done, wrong) = await pg.CheckNoDoubleAsync(project);
        ctx.Results.Check("overhead: every claimed item completed once", wrong == 0 && done == measured.Sum(m => m.Total), $"{done:N0} done once, {wrong:N0} wrong");
    }

    /// <summary>
    /// What a scope per operation costs by itself: create a scope, resolve <see cref="IWorkClaimer"/> (its graph and the
    /// pooled context's lease), dispose the scope (the context goes back to the pool), with no database call.
    /// </summary>
    private static async Task MeasureScopesAsync(BenchContext ctx, string registration, IServiceProvider services, int n)
    {
        for (var i = 0; i < 100; i++)
        {
            await using var warm = services.CreateAsyncScope();
            warm.ServiceProvider.GetRequiredService<IWorkClaimer>();
        }

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < n; i++)
        {
            await using var scope = services.CreateAsyncScope();
            scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        }

        var micros = Stopwatch.GetElapsedTime(started).TotalMicroseconds / n;
        var kib = (GC.GetTotalAllocatedBytes(precise: true) - before) / 1024.0 / n;
        var name = $"{registration}: scope + resolve IWorkClaimer + dispose";
        ctx.Results.Measure(Section, name, micros, "µs", $"{n} scopes, no database call; {kib:N2} KiB each");
        ctx.Results.Measure(Section, $"{name}: allocated", kib, "KiB");
        ctx.Log($"{name,-72} {micros,8:N1} µs   {kib,6:N2} KiB");
    }

    /// <summary>
    /// Which types the registered claim + complete allocates, from the runtime's allocation sampling (one event per
    /// ~100 KB allocated, naming the type that crossed it): a profile to find what to cut, printed only.
    /// </summary>
    private static async Task SampleTypesAsync(BenchContext ctx, Measured outer, IServiceProvider services, Guid project)
    {
        using var listener = new AllocationSampler();
        for (var i = 0; i < ctx.Sizes.MemoryOperations; i++)
        {
            await outer.RunOnceAsync(services, project);
        }

        foreach (var (type, count) in listener.Top(40))
        {
            ctx.Log($"  {count,5} samples  {type}");
        }
    }

    private static bool ResolvesIn(IServiceProvider services, Type type)
    {
        using var scope = services.CreateScope();
        return scope.ServiceProvider.GetService(type) is not null;
    }

    private static IWorkClaimer? Resolve(IServiceProvider scope, Layer layer) =>
        layer.PerScope ? null : (IWorkClaimer)scope.GetRequiredService(layer.Type ?? typeof(IWorkClaimer));

    private sealed class AllocationSampler : System.Diagnostics.Tracing.EventListener
    {
        private readonly Dictionary<string, int> counts = [];

        public IEnumerable<(string Type, int Count)> Top(int n)
        {
            lock (counts)
            {
                return [.. counts.OrderByDescending(c => c.Value).Take(n).Select(c => (c.Key, c.Value))];
            }
        }

        protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            {
                // GC keyword (0x1) at verbose level carries GCAllocationTick.
                EnableEvents(eventSource, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x1);
            }
        }

        protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs eventData)
        {
            if (eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) == true && eventData.PayloadNames is { } names)
            {
                var type = eventData.Payload?[names.IndexOf("TypeName")] as string ?? "?";
                if (names.IndexOf("ObjectSize") is >= 0 and var size && eventData.Payload![size] is ulong bytes && bytes >= 1024)
                {
                    // Large objects by size class: a big string is usually SQL or JSON built per call.
                    type += $" ({1 << (int)Math.Log2(bytes)}+ bytes)";
                }

                lock (counts)
                {
                    counts[type] = counts.GetValueOrDefault(type) + 1;
                }
            }
        }
    }

    private sealed record Layer(string Label, bool PerScope, Type? Type);

    private sealed class Measured(Layer layer, Guid agentId, IWorkClaimer? claimer)
    {
        private readonly List<double> micros = [];
        private long claimBytes;
        private long completeBytes;

        public Layer Layer => layer;

        public int Count => micros.Count;

        public int Total { get; private set; }

        public double MedianMicroseconds => micros.Count == 0 ? 0 : micros.Order().ElementAt(micros.Count / 2);

        public double ClaimKiB => Count == 0 ? 0 : claimBytes / 1024.0 / Count;

        public double CompleteKiB => Count == 0 ? 0 : completeBytes / 1024.0 / Count;

        public async Task RunOnceAsync(IServiceProvider services, Guid projectId)
        {
            var started = Stopwatch.GetTimestamp();
            var before = GC.GetTotalAllocatedBytes(precise: true);
            AsyncServiceScope? scope = layer.PerScope ? services.CreateAsyncScope() : null;
            var c = claimer ?? scope!.Value.ServiceProvider.GetRequiredService<IWorkClaimer>();
            var claimed = await c.ClaimNextAsync(agentId, projectId) ?? throw new InvalidOperationException("The overhead loop ran out of items.");
            var between = GC.GetTotalAllocatedBytes(precise: true);
            claimBytes += between - before;
            await c.CompleteAsync(claimed.Lease);

            // The scope's end (returning the context to the pool) is part of the per-operation cost.
            if (scope is { } s)
            {
                await s.DisposeAsync();
            }

            completeBytes += GC.GetTotalAllocatedBytes(precise: true) - between;
            micros.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
            Total++;
        }

        public void Reset()
        {
            micros.Clear();
            claimBytes = 0;
            completeBytes = 0;
        }
    }
}
