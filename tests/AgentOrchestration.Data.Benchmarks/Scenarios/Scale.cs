using System.Data.Common;
using System.Globalization;
using AgentOrchestration.Data.Benchmarks.Scale;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Dashboards;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Work;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Benchmarks.Scenarios;

/// <summary>
/// The library at 10k, 100k and 1M work items (<see cref="ScaleShape"/>), on both providers: seed time, claim latency,
/// the ready-work query, each query of the schema plan's "Key Indexes" list, and the dashboard snapshot, each with its
/// plan; then the same database with the library's secondary indexes dropped; the snapshot's SQL through raw ADO.NET;
/// the process's peak working set over the largest size.
/// </summary>
internal static class Scale
{
    private const string Section = "At scale";
    private const string SeedSection = "At scale: seed steps";

    public static async Task RunAsync(BenchContext ctx)
    {
        foreach (var postgres in new[] { true, false })
        {
            var provider = postgres ? "PostgreSQL" : "SQLite";
            var claimLatency = new Dictionary<int, double>();
            foreach (var items in ctx.Sizes.ScaleItems)
            {
                var largest = items == ctx.Sizes.ScaleItems.Max();
                if (largest)
                {
                    PeakWorkingSet.Reset();
                }

                // The library's peak is read from after the seed (MeasureAsync resets it there): the seed's own load is not the library's.
                await using var database = postgres ? await BenchDatabase.PostgresAsync(ctx.PostgresAdmin) : await BenchDatabase.SqliteAsync();
                claimLatency[items] = await MeasureAsync(ctx, database, provider, items, largest);
                if (largest && PeakWorkingSet.Read() is { } peak)
                {
                    ctx.Results.Measure("Memory", $"{provider}: peak working set of the process over the {items:N0}-item run, after the seed", peak / 1024.0 / 1024.0, "MiB", "claims, queries, plans, snapshot, with and without the secondary indexes; VmHWM reset after the seed");
                }
            }

            var small = ctx.Sizes.ScaleItems.Min();
            var big = ctx.Sizes.ScaleItems.Max();
            ctx.Results.Ratio($"{provider} claim latency p50 at {big:N0} items / at {small:N0}", claimLatency[big], claimLatency[small], "≤ 2×", r => r <= 2, "ms");
        }
    }

    private static async Task<double> MeasureAsync(BenchContext ctx, BenchDatabase database, string provider, int items, bool largest)
    {
        var results = ctx.Results;
        var runs = ctx.Sizes.QueryRuns;
        var label = $"{provider}, {items:N0} items";
        var phase = System.Diagnostics.Stopwatch.StartNew();
        void Phase(string name)
        {
            results.Measure("Run", $"scale, {label}: {name}", phase.Elapsed.TotalSeconds, "s");
            phase.Restart();
        }

        var seed = await ScaleSeeder.SeedAsync(database, items);
        var (shape, seedTime, rows) = (seed.Shape, seed.Elapsed, seed.Rows);
        results.Measure(Section, $"{label}: seed ({(database.IsPostgres ? "binary COPY, secondary indexes built after, then VACUUM (ANALYZE)" : "one prepared INSERT per table, one transaction, secondary indexes built after, then ANALYZE")})", seedTime.TotalSeconds, "s", $"{rows:N0} bulk rows");
        foreach (var (step, seconds, detail) in seed.Steps)
        {
            results.Measure(SeedSection, $"{label}: {step}", seconds, "s", detail);
        }

        results.Check($"{label}: the seed rebuilt the library's {seed.Indexes} secondary indexes of the bulk tables exactly as migrated", seed.Indexes > 0 && seed.IndexMismatch is null, seed.IndexMismatch ?? "same definitions in the catalogue before and after");
        if (largest)
        {
            results.Absolute($"{provider} seed of {items:N0} work items and their history", seedTime.TotalSeconds, "< 60 s", seedTime.TotalSeconds < 60, "s");
        }

        ctx.Log($"{label}: seeded {rows:N0} rows in {seedTime.TotalSeconds:N1}s");
        Phase("seed");
        if (largest && PeakWorkingSet.Read() is { } seedPeak)
        {
            results.Measure("Memory", $"{provider}: peak working set of the process during the {items:N0}-item seed", seedPeak / 1024.0 / 1024.0, "MiB", "the harness's bulk load (SQLite: its page cache for the index builds), not the library");
            PeakWorkingSet.Reset();
        }
        var project = shape.ProjectIds[0];
        await using var sql = new Sql(database);

        // Claim latency: a fresh agent with every capability claims and completes in the busiest project.
        Guid agent;
        await using (var db = database.CreateContext())
        {
            var now = DateTimeOffset.UtcNow;
            var profile = new AgentProfile { Name = "Scale claimer", Slug = "scale-claimer", Type = "backend-engineer", Mode = "implementation", MaxConcurrentTasks = 1_000_000, CreatedAt = now, UpdatedAt = now };
            db.Add(profile);
            db.AddRange(ScaleShape.Capabilities.Select(c => new AgentCapability { AgentId = profile.Id, Capability = c, CreatedAt = now }));
            await db.SaveChangesAsync();
            agent = profile.Id;
        }

        // Timed through the library as a host registers it; the command log (its own registration) only captures SQL.
        var log = new CommandLog();
        await using var logged = database.Services(log);
        await using var services = database.Services();
        var claims = new List<double>();
        int claimed = 0, errors = 0;
        await using (var scope = services.CreateAsyncScope())
        {
            var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
            // At most ScaleClaims claims, and none started after the time limit (a slow claim at 1M must not hold the run).
            var stopAt = DateTime.UtcNow + ctx.Sizes.ScaleClaimTimeLimit;
            for (var i = -3; i < ctx.Sizes.ScaleClaims && DateTime.UtcNow < stopAt; i++)
            {
                try
                {
                    var started = System.Diagnostics.Stopwatch.GetTimestamp();
                    var work = await claimer.ClaimNextAsync(agent, project);
                    var ms = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    if (work is null)
                    {
                        break;
                    }

                    if (i >= 0)
                    {
                        claims.Add(ms);
                        claimed++;
                    }

                    await claimer.CompleteAsync(work.Lease);
                }
#pragma warning disable CA1031 // Counted: none may reach the caller.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    errors++;
                    Console.Error.WriteLine($"  scale claim: {exception.GetType().Name}: {exception.Message}");
                }
            }
        }

        var claimRun = new RunResult(claimed, TimeSpan.Zero, errors, [.. claims]);
        results.Check($"{label}: claims + completes, no errors", claimed > 0 && errors == 0, $"{claimed} claimed (at most {ctx.Sizes.ScaleClaims} in {ctx.Sizes.ScaleClaimTimeLimit.TotalSeconds:N0} s), {errors} errors");
        results.Measure(Section, $"{label}: claim latency p50 / p99 (library, 1 caller)", claimRun.Percentile(50), "ms", $"p99 {claimRun.Percentile(99):N2} ms over {claimed} claims");
        if (database.IsPostgres)
        {
            await PlanClaimAsync(ctx, database, sql, items, agent, project);
        }

        Phase("claims");

        // The library's own queries, captured as EF sent them.
        async Task<(string Text, DbParameter[] Parameters)[]> CaptureAsync(Func<IServiceProvider, Task> call)
        {
            await using var scope = logged.CreateAsyncScope();
            log.Clear();
            await call(scope.ServiceProvider);
            return [.. log.Commands];
        }

        // Without the indexes a library call may outlast its command timeout: that is a result too, not a broken run.
        // With the indexes: up to QueryRuns runs, at least 5, within QueryBudget; without: at most 3 within UnindexedQueryBudget.
        Task<double> TimeAsync(bool indexed, Func<Task> run) => indexed
            ? Sql.MedianAsync(runs, run, ctx.Sizes.QueryBudget, minimum: 5)
            : Sql.MedianAsync(Math.Min(runs, 3), run, ctx.Sizes.UnindexedQueryBudget);

        async Task<double> LibraryMedianAsync(string name, Func<IServiceProvider, Task> call, bool indexed)
        {
            try
            {
                return await TimeAsync(indexed, async () =>
                {
                    await using var scope = services.CreateAsyncScope();
                    await call(scope.ServiceProvider);
                });
            }
            catch (Exception exception) when (!indexed && exception is TimeoutException or DbException or InvalidOperationException)
            {
                results.Note($"{label}, secondary indexes dropped: {name} failed ({exception.GetType().Name}: {exception.Message.Split('\n')[0]}).");
                return double.NaN;
            }
        }

        Task ReadyWork(IServiceProvider s) => s.GetRequiredService<IWorkItemService>().GetReadyWorkAsync(project);
        Task Snapshot(IServiceProvider s) => s.GetRequiredService<IOrchestrationDashboard>().GetSnapshotAsync(project, TimeSpan.FromHours(6));
        var ready = await CaptureAsync(ReadyWork);
        var snapshot = await CaptureAsync(Snapshot);
        var queries = KeyQueries(sql, shape);

        // The two snapshot queries the schema's dashboard indexes serve, each timed and explained on its own.
        (string Name, (string Text, DbParameter[] Parameters) Command)[] dashboardQueries =
        [
            ("dashboard work by status (library's GetWorkByStatusAsync)", (await CaptureAsync(s => s.GetRequiredService<IOrchestrationDashboard>().GetWorkByStatusAsync(project)))[^1]),
            ("dashboard QA pass rates (library's GetQaPassRatesAsync)", (await CaptureAsync(s => s.GetRequiredService<IOrchestrationDashboard>().GetQaPassRatesAsync(project)))[^1]),
        ];

        async Task<Dictionary<string, double>> QueriesAsync(bool indexed)
        {
            var times = new Dictionary<string, double>();
            foreach (var (name, text, parameters) in queries)
            {
                times[name] = await TimeAsync(indexed, () => sql.RunAsync(text, parameters));
                var (plan, usesIndex) = await sql.PlanAsync(text, parameters);
                results.AddPlan(new Results.Plan(provider, items, indexed, name, usesIndex, times[name], text, plan));
                if (indexed && largest)
                {
                    results.Holds($"{provider} at {items:N0}: '{name}' plan uses an index", usesIndex, "uses an index");
                }
            }

            foreach (var (name, (text, parameters)) in dashboardQueries)
            {
                var time = await TimeAsync(indexed, () => sql.RunAsync(text, parameters));
                var (plan, usesIndex) = await sql.PlanAsync(text, parameters);
                results.AddPlan(new Results.Plan(provider, items, indexed, name, usesIndex, time, text, plan));
                results.Measure(Section, $"{label}{(indexed ? "" : ", secondary indexes dropped")}: {name}, its SQL", time, "ms");
            }

            var readyTime = await LibraryMedianAsync("ready work", ReadyWork, indexed);
            var (readyPlan, readyIndex) = await sql.PlanAsync(ready[^1].Text, ready[^1].Parameters);
            results.AddPlan(new Results.Plan(provider, items, indexed, "ready work (library's GetReadyWorkAsync, last command)", readyIndex, readyTime, ready[^1].Text, readyPlan));
            times["ready work"] = readyTime;
            var snapshotTime = await LibraryMedianAsync("dashboard snapshot", Snapshot, indexed);
            times["dashboard snapshot"] = snapshotTime;
            results.Measure(Section, $"{label}{(indexed ? "" : ", secondary indexes dropped")}: ready work (library)", readyTime, "ms");
            results.Measure(Section, $"{label}{(indexed ? "" : ", secondary indexes dropped")}: dashboard snapshot (library, {snapshot.Length} commands)", snapshotTime, "ms");
            return times;
        }

        var withIndexes = await QueriesAsync(indexed: true);
        Phase("queries, plans, ready work and snapshot with the library's indexes");
        results.Check($"{label}: plans captured", results.Plans.Count(p => p.Provider == provider && p.Items == items && p.Text.Length > 0) >= queries.Count + 1, $"{queries.Count + 1} plans expected");

        // The snapshot's own SQL through one raw connection, against the library's call; it must read what the library read.
        var rawRows = new List<int>();
        foreach (var (text, parameters) in snapshot)
        {
            rawRows.Add(await sql.RunAsync(text, parameters));
        }

        results.Check($"{label}: the dashboard snapshot's SQL reads rows through raw ADO.NET too", rawRows.Sum() > 0 && rawRows.Count == snapshot.Length, $"rows per command: {string.Join(", ", rawRows)}");
        var raw = await TimeAsync(true, async () =>
        {
            foreach (var (text, parameters) in snapshot)
            {
                await sql.RunAsync(text, parameters);
            }
        });
        results.Measure(Section, $"{label}: dashboard snapshot's SQL through raw ADO.NET", raw, "ms");
        Phase("the snapshot's SQL through raw ADO.NET");
        if (largest)
        {
            results.Ratio($"{provider} dashboard snapshot at {items:N0}: library / its SQL through raw ADO.NET", withIndexes["dashboard snapshot"], raw, "≤ 1.25×", r => r <= 1.25, "ms");
        }

        foreach (var (name, text, parameters) in queries)
        {
            results.Measure(Section, $"{label}: {name}", withIndexes[name], "ms");
        }

        var dropped = await sql.DropSecondaryIndexesAsync();
        ctx.Log($"{label}: dropped {dropped.Count} secondary indexes");
        Phase("drop the secondary indexes, ANALYZE");
        var without = await QueriesAsync(indexed: false);
        Phase("the same without the secondary indexes");
        foreach (var (name, _, _) in queries)
        {
            results.Measure(Section, $"{label}, secondary indexes dropped: {name}", without[name], "ms", $"{without[name] / withIndexes[name]:0.#}× the indexed time");
            if (largest)
            {
                results.Ratio($"{provider} at {items:N0}: '{name}' without the library's secondary indexes / with", without[name], withIndexes[name], "≥ 10×", r => r >= 10, "ms");
            }
        }

        ctx.Log($"{label}: claim p50 {claimRun.Percentile(50):N2} ms, ready work {withIndexes["ready work"]:N2} ms, snapshot {withIndexes["dashboard snapshot"]:N2} ms (raw {raw:N2} ms)");
        return claimRun.Percentile(50);
    }

    /// <summary>The library's claim statement as Npgsql sent it, explained (in a rolled-back transaction, with fresh assignment ids).</summary>
    private static async Task PlanClaimAsync(BenchContext ctx, BenchDatabase database, Sql sql, int items, Guid agent, Guid project)
    {
        using var counter = new RoundTripCounter();
        await using var services = database.Services(counter);
        await using var scope = services.CreateAsyncScope();
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        var phase = new RoundTripCounter.Phase("claim", capture: true);
        counter.Current = phase;
        var work = await claimer.ClaimNextAsync(agent, project);
        counter.Current = null;
        if (work is not null)
        {
            await claimer.CompleteAsync(work.Lease);
        }

        var step = phase.Steps.LastOrDefault();
        if (step is null)
        {
            ctx.Results.Check($"PostgreSQL, {items:N0} items: claim statement captured", false, "nothing was sent");
            return;
        }

        var text = step.Texts[^1];
        var parameters = step.Parameters[^1].Select(p =>
        {
            var copy = p.Clone();
            if (copy.Value is Guid[] ids)
            {
                copy.Value = ids.Select(_ => Guid.CreateVersion7()).ToArray();
            }

            return (DbParameter)copy;
        }).ToArray();
        var (plan, usesIndex) = await sql.PlanAsync(text, parameters);
        var sorts = plan.Contains("Sort", StringComparison.Ordinal);
        ctx.Results.AddPlan(new Results.Plan("PostgreSQL", items, true, $"claim (library's statement){(sorts ? ", plan sorts" : "")}", usesIndex, double.NaN, text, plan));
    }

    private static List<(string Name, string Text, DbParameter[] Parameters)> KeyQueries(Sql sql, ScaleShape shape)
    {
        var agent = shape.Agent(0);
        var item = shape.WorkItemIds[shape.Items / 2];
        var since = DateTime.UtcNow.AddSeconds(-86_400 - 1000);
        return
        [
            ("agents by type and status (agent_profiles_type_status)", "SELECT id, name FROM agent_profiles WHERE type = @type AND status = 'active'", [sql.Parameter("type", "qa-engineer")]),
            ("agent by slug (agent_profiles_slug)", "SELECT id, name FROM agent_profiles WHERE slug = @slug", [sql.Parameter("slug", "scale-agent-7")]),
            ("work items by assignee (work_items_assignee)", "SELECT id, title, status FROM work_items WHERE assignee_type = 'agent' AND assignee_id = @agent", [sql.Parameter("agent", agent)]),
            ("work items by delegation status (work_items_delegation_status)", "SELECT count(*) FROM work_items WHERE delegation_status = 'blocked'", []),
            ("work items by project and status (work_items_project_status)", "SELECT id, title, priority FROM work_items WHERE project_id = @project AND status = 'in_progress'", [sql.Parameter("project", shape.ProjectIds[1])]),
            ("assignments by work item (task_assignments_work_item)", "SELECT id, status, fencing_token FROM task_assignments WHERE work_item_id = @item", [sql.Parameter("item", item)]),
            ("assignments by agent (task_assignments_agent)", "SELECT id, work_item_id, status FROM task_assignments WHERE agent_id = @agent", [sql.Parameter("agent", agent)]),
            ("assignments by status (task_assignments_status)", "SELECT count(*) FROM task_assignments WHERE status = 'started'", []),
            ("assignments by assigned_at (task_assignments_assigned_at)", "SELECT id, work_item_id FROM task_assignments WHERE assigned_at >= @since ORDER BY assigned_at LIMIT 100", [sql.Parameter("since", since)]),
        ];
    }
}

/// <summary>The process's peak resident set (Linux VmHWM), resettable through /proc/self/clear_refs.</summary>
internal static class PeakWorkingSet
{
    public static void Reset()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"  peak working set: cannot reset ({exception.Message}); the peak is the process's since it started");
        }
    }

    public static long? Read()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return Environment.WorkingSet;
        }
    }
}
