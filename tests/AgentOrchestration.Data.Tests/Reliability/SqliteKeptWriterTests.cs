using System.Globalization;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Sqlite.Storage;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Reliability;

/// <summary>
/// SQLite writers of one process queued for one file run the library's hot-path statements on the one connection their
/// gate keeps (<see cref="WriterGate"/>), not each on its own: every writer's own connection would have its page cache
/// emptied by the others' commits (WAL mode) and reread the claim's pages at every transaction. Counted with
/// <c>sqlite3_db_status</c>'s page-cache misses; with several writers on one file, in one process and in several, every
/// item is claimed and completed exactly once, and a process killed among them leaves nothing half-written.
/// </summary>
[NonParallelizable]
public sealed class SqliteKeptWriterTests
{
    private const int Workers = 8;
    private const int ItemsPerWorker = 15;

    /// <summary>sqlite3_db_status's SQLITE_DBSTATUS_CACHE_MISS.</summary>
    private const int CacheMiss = 8;

    [Test]
    public async Task Writers_of_one_process_take_turns_on_one_connection_whose_page_cache_survives_them()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var (project, agents) = await SeedAsync(database, Workers, Workers * ItemsPerWorker);
        await using var services = Services(database.ConnectionString);

        // Each worker its own scope, so its own context and connection, as a host with a scope per worker has it.
        var scopes = Enumerable.Range(0, Workers).Select(_ => services.CreateAsyncScope()).ToList();
        var handles = new List<SQLitePCL.sqlite3>();
        foreach (var scope in scopes)
        {
            var db = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
            await db.Database.OpenConnectionAsync();
            handles.Add(((SqliteConnection)db.Database.GetDbConnection()).Handle!);
        }

        var gate = SqliteOrchestrationProvider.GateOf(DataSource(database));
        var (keptBefore, keptMissesBefore) = (gate?.WriterTransactions ?? 0, gate?.WriterCacheMisses ?? 0);
        var missesBefore = handles.Sum(Misses);
        // Each worker on a thread of its own, all starting together: Microsoft.Data.Sqlite's async calls complete
        // synchronously, so on a busy thread pool one worker could drain the whole backlog before a second one started,
        // and nobody would ever queue (seen once under load: 0 transactions on the kept connection).
        using var start = new Barrier(Workers);
        var done = await Task.WhenAll(scopes.Select((scope, i) => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                return DrainAsync(scope.ServiceProvider.GetRequiredService<IWorkClaimer>(), agents[i], project).GetAwaiter().GetResult();
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)));
        var missesAfter = handles.Sum(Misses);
        foreach (var scope in scopes)
        {
            await scope.DisposeAsync();
        }

        gate = SqliteOrchestrationProvider.GateOf(DataSource(database))!;
        var transactions = 2 * done.Sum();
        var kept = gate.WriterTransactions - keptBefore;
        var misses = missesAfter - missesBefore + gate.WriterCacheMisses - keptMissesBefore;
        TestContext.Out.WriteLine($"{transactions} write transactions, {kept} on the kept connection, {misses} page-cache misses ({(double)misses / transactions:F1} each)");
        Assert.Multiple(() =>
        {
            Assert.That(done.Sum(), Is.EqualTo(Workers * ItemsPerWorker), "every item claimed and completed");
            Assert.That(kept, Is.GreaterThan(transactions / 2), "most transactions ran while others queued, on the kept connection");

            // On their own connections, 8 writers taking turns read about a hundred pages per transaction from the OS.
            Assert.That((double)misses / transactions, Is.LessThan(20), "page-cache misses per write transaction");
        });
        await AssertEachCompletedOnceAsync(database, Workers * ItemsPerWorker);
    }

    [Test]
    public async Task A_lone_writer_keeps_writing_on_its_own_connection_and_the_kept_one_is_closed_once_nobody_queues()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var (project, agents) = await SeedAsync(database, 2, 20);
        await using var services = Services(database.ConnectionString);

        // Contention first, so the gate has kept a connection.
        var busy = Enumerable.Range(0, 2).Select(_ => services.CreateAsyncScope()).ToList();
        await Task.WhenAll(busy.Select((scope, i) => Task.Run(async () =>
        {
            var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
            for (var n = 0; n < 5; n++)
            {
                var work = await claimer.ClaimNextAsync(agents[i].Id, project.Id);
                await claimer.CompleteAsync(work!.Lease);
            }
        })));
        foreach (var scope in busy)
        {
            await scope.DisposeAsync();
        }

        var gate = SqliteOrchestrationProvider.GateOf(DataSource(database))!;
        var keptBefore = gate.WriterTransactions;
        await using var alone = services.CreateAsyncScope();
        using var trace = await SqliteTrace.StartAsync(alone.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>());
        var claimerAlone = alone.ServiceProvider.GetRequiredService<IWorkClaimer>();
        var ran = await trace.RecordAsync(async () =>
        {
            var work = await claimerAlone.ClaimNextAsync(agents[0].Id, project.Id);
            await claimerAlone.CompleteAsync(work!.Lease);
        });
        Assert.Multiple(() =>
        {
            Assert.That(gate.WriterTransactions, Is.EqualTo(keptBefore), "nobody queued: the writer's own connection");
            Assert.That(gate.KeepsConnection, Is.False, "closed by the last writer of the contention");
            Assert.That(ran.Count(s => s.StartsWith("BEGIN", StringComparison.Ordinal)), Is.EqualTo(2), "both transactions on the context's connection");
        });

        Assert.That(gate.KeepsConnection, Is.False, "the kept connection was closed when the contention ended");
    }

    [Test]
    public async Task Processes_with_several_writers_each_complete_every_item_exactly_once()
    {
        const int processes = 3;
        const int items = 150;
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var (project, agents) = await SeedAsync(database, processes, items);
        var children = agents.Select(a => LiveChild.Start("soak", "claim-loop", "sqlite", database.ConnectionString, project.Id.ToString(), a.Id.ToString(), "3")).ToList();
        var results = new List<(int Done, int Errors, long Kept, long HandOvers, int Longest)>();
        try
        {
            foreach (var child in children)
            {
                await child.WaitForAsync("ready");
            }

            foreach (var child in children)
            {
                await child.SendAsync("go");
            }

            foreach (var child in children)
            {
                var parts = (await child.WaitForAsync("done ")).Split(' ');
                results.Add((int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[3], CultureInfo.InvariantCulture), long.Parse(parts[5], CultureInfo.InvariantCulture), long.Parse(parts[7], CultureInfo.InvariantCulture), int.Parse(parts[9], CultureInfo.InvariantCulture)));
            }
        }
        finally
        {
            foreach (var child in children)
            {
                await child.DisposeAsync();
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(results.Select(r => r.Errors), Is.All.Zero, "errors reaching a caller");
            Assert.That(results.Sum(r => r.Done), Is.EqualTo(items));
            Assert.That(results.Sum(r => r.Kept), Is.Positive, "writers queued in a process wrote on its kept connection");

            // The cross-process turn went from writer to writer of a process, never for more than the bound at a time.
            Assert.That(results.Sum(r => r.HandOvers), Is.Positive, "turns handed to the next writer of the process");
            Assert.That(results.Select(r => r.Longest), Is.All.InRange(1, WriterGate.TransactionsPerTurn), "transactions per turn");
        });
        await AssertEachCompletedOnceAsync(database, items);
    }

    [Test]
    public async Task A_process_killed_while_its_writers_take_turns_on_the_kept_connection_leaves_nothing_half_written()
    {
        const int items = 400;
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var (project, agents) = await SeedAsync(database, 2, items);
        await using (var child = LiveChild.Start("soak", "claim-loop", "sqlite", database.ConnectionString, project.Id.ToString(), agents[0].Id.ToString(), "4"))
        {
            await child.WaitForAsync("ready");
            await child.SendAsync("go");
            while (true)
            {
                var parts = (await child.WaitForAsync("progress ")).Split(' ');
                if (long.Parse(parts[3], CultureInfo.InvariantCulture) > 0 && int.Parse(parts[1], CultureInfo.InvariantCulture) >= 40)
                {
                    break;
                }
            }

            // Its writers are mid-stream: one of them is inside a transaction on the kept connection or about to be.
            await child.KillAsync();
        }

        await using (var check = new AgentOrchestrationDbContext(database.Options<AgentOrchestrationDbContext>()))
        {
            await check.Database.OpenConnectionAsync();
            Assert.That(await check.Database.SqlQueryRaw<string>("PRAGMA integrity_check").ToListAsync(), Is.EqualTo(new[] { "ok" }));

            // A claim is its assignment, the item's claim and its event, all or nothing; a completion likewise.
            var assignments = await check.TaskAssignments.CountAsync();
            var claimedEvents = await check.Events.CountAsync(e => e.Type == "work_item.claimed");
            var completed = await check.TaskAssignments.CountAsync(t => t.Status == AssignmentStatus.Completed);
            var doneItems = await check.WorkItems.CountAsync(w => w.Status == WorkItemStatus.Done);
            var heldItems = await check.WorkItems.CountAsync(w => w.CurrentAssignmentId != null);
            Assert.Multiple(() =>
            {
                Assert.That(assignments, Is.Positive);
                Assert.That(claimedEvents, Is.EqualTo(assignments), "one claim event per assignment");
                Assert.That(heldItems, Is.EqualTo(assignments), "every assignment's item points at it");
                Assert.That(doneItems, Is.EqualTo(completed), "every completed assignment's item is done, and only those");
            });
        }

        // The survivors' work goes on: the rest is claimed and completed once each.
        await using var services = Services(database.ConnectionString);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            await using var scope = services.CreateAsyncScope();
            await DrainAsync(scope.ServiceProvider.GetRequiredService<IWorkClaimer>(), agents[1], project);
        })));
        await using var after = new AgentOrchestrationDbContext(database.Options<AgentOrchestrationDbContext>());
        var todo = await after.WorkItems.CountAsync(w => w.Status != WorkItemStatus.Done && w.CurrentAssignmentId == null);
        Assert.That(todo, Is.Zero, "every unclaimed item was claimed and completed after the kill");
    }

    private static ServiceProvider Services(string connectionString) =>
        new ServiceCollection()
            .AddAgentOrchestration(o => o.UseSqlite(connectionString).ConfigureQa(p => p.RequireNone()))
            .BuildServiceProvider();

    private static async Task<int> DrainAsync(IWorkClaimer claimer, AgentProfile agent, Project project)
    {
        var done = 0;
        while (await claimer.ClaimNextAsync(agent.Id, project.Id) is { } work)
        {
            await claimer.CompleteAsync(work.Lease);
            done++;
        }

        return done;
    }

    private static async Task<(Project Project, List<AgentProfile> Agents)> SeedAsync(TestDatabase database, int agents, int items)
    {
        await using var db = database.CreateContext();
        await db.Database.MigrateAsync();
        var project = Fakes.Project();
        var rows = Enumerable.Range(0, agents).Select(_ => { var a = Fakes.Agent(); a.MaxConcurrentTasks = items; return a; }).ToList();
        db.Add(project);
        db.AddRange(rows);
        db.AddRange(Enumerable.Range(0, items).Select(_ => Fakes.WorkItem(project)));
        await db.SaveChangesAsync();
        return (project, rows);
    }

    private static async Task AssertEachCompletedOnceAsync(TestDatabase database, int items)
    {
        await using var check = database.CreateContext();
        var completions = await check.TaskAssignments.Where(t => t.Status == AssignmentStatus.Completed).GroupBy(t => t.WorkItemId).Select(g => g.Count()).ToListAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(completions, Has.Count.EqualTo(items).And.All.EqualTo(1), "each item completed exactly once");
            Assert.That(await check.TaskAssignments.CountAsync(), Is.EqualTo(items), "and claimed exactly once");
        });
    }

    private static string DataSource(TestDatabase database) => new SqliteConnectionStringBuilder(database.ConnectionString).DataSource;

    private static long Misses(SQLitePCL.sqlite3 handle) =>
        SQLitePCL.raw.sqlite3_db_status(handle, CacheMiss, out var current, out _, 0) == SQLitePCL.raw.SQLITE_OK ? current : 0;
}
