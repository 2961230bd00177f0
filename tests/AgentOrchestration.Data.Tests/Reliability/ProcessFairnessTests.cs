using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Tests.Reliability;

/// <summary>
/// Several OS processes claiming and completing from one queue at once: every process gets a fair share of the work
/// (within a factor of the mean), no error reaches a caller, every item is completed exactly once. On SQLite the processes share one file
/// and take turns through the writer queue beside it. How long each waits is the benchmark's business
/// (tests/AgentOrchestration.Data.Benchmarks, scenario <c>contention</c>; figures in docs/reliability.md).
/// </summary>
public sealed class ProcessFairnessTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private const int Processes = 4;
    private const int Items = 160;

    [Test]
    public async Task Every_process_gets_work_done_no_error_reaches_a_caller_and_each_item_is_completed_once()
    {
        var project = Fakes.Project();
        var agents = Enumerable.Range(0, Processes).Select(_ => { var a = Fakes.Agent(); a.MaxConcurrentTasks = Items; return a; }).ToList();
        await using (var db = await MigratedContextAsync())
        {
            db.Add(project);
            db.AddRange(agents);
            db.AddRange(Enumerable.Range(0, Items).Select(_ => Fakes.WorkItem(project)));
            await db.SaveChangesAsync();
        }

        var name = Provider == DatabaseProvider.Sqlite ? "sqlite" : "postgresql";
        var children = agents.Select(a => LiveChild.Start("soak", "claim-loop", name, Database.ConnectionString, project.Id.ToString(), a.Id.ToString())).ToList();
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

            var results = new List<(int Done, int Errors)>();
            foreach (var child in children)
            {
                var parts = (await child.WaitForAsync("done ")).Split(' ');
                results.Add((int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture)));
            }

            Assert.That(results.Select(r => r.Errors), Is.All.Zero, "errors reaching a caller");
            Assert.That(results.Select(r => r.Done), Is.All.Positive, "every process completed work");
            Assert.That(results.Sum(r => r.Done), Is.EqualTo(Items));

            // Not only progress: no process is starved to a sliver while the others share the work. On SQLite the
            // processes take turns through the writer queue (without it the slowest got a third of the fastest's share).
            Assert.That(results.Select(r => r.Done), Is.All.InRange(Items / Processes / 3, Items / Processes * 3), "every process's share within a factor of 3 of the mean");
        }
        finally
        {
            foreach (var child in children)
            {
                await child.DisposeAsync();
            }
        }

        await using var check = CreateContext();
        var completions = await check.TaskAssignments.Where(t => t.Status == AssignmentStatus.Completed).GroupBy(t => t.WorkItemId).Select(g => g.Count()).ToListAsync();
        Assert.That(completions, Has.Count.EqualTo(Items).And.All.EqualTo(1), "each item completed exactly once");
        Assert.That(await check.WorkItems.CountAsync(w => w.Status == WorkItemStatus.Done), Is.EqualTo(Items));
    }
}
