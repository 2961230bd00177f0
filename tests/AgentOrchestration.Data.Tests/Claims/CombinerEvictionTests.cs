using System.Collections.Concurrent;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.PostgreSql.Claims;
using AgentOrchestration.Data.PostgreSql.Storage;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AgentOrchestration.Data.Tests.Claims;

/// <summary>
/// The PostgreSQL claim and completion combiners, one per (database, clock, project) and per (model, database, clock),
/// are evicted once idle, so a long-running host with many projects, databases or clocks keeps only about as many as
/// it uses; and eviction never strands a caller: every claim and completion made while combiners are swept away runs,
/// exactly once. The race runs on both providers (SQLite combines nothing, and its claims must hold the same).
/// </summary>
public sealed class CombinerEvictionTests(DatabaseProvider provider) : OrchestrationFixture(provider)
{
    private const int Keys = 3 * CombinerRegistry<int, int, int>.MinimumSweep;

    protected override ServiceProvider BuildServices() => OrchestrationServices.Create(Database, Clock, configure: OrchestrationServices.WithoutQaGate);

    [Test]
    public async Task Claim_combiners_of_projects_each_used_once_are_evicted()
    {
        PostgreSqlOnly();
        var agent = await RegisterAgentAsync(4);
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        var database = db.Database.GetConnectionString();
        for (var i = 0; i < Keys; i++)
        {
            var project = await CreateProjectAsync();
            Assert.That(await UseAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(agent.Id, project.Id)), Is.Null);
        }

        var registry = ClaimCombiner.Registry(db.Model)!;
        Assert.That(registry, Is.Not.Null, "the claims went through the combiner");

        // Swept as they were added: never more than two sweeps' worth (one kept for its use since the sweep before).
        Assert.That(registry.Count(k => k.Database == database), Is.InRange(1, 2 * CombinerRegistry<int, int, int>.MinimumSweep));

        // Idle since the sweep before the last: none left.
        registry.Sweep();
        registry.Sweep();
        Assert.That(registry.Count(k => k.Database == database), Is.Zero);
    }

    [Test]
    public async Task Completion_combiners_of_clocks_each_used_once_are_evicted()
    {
        PostgreSqlOnly();
        var project = await CreateProjectAsync();
        var agent = await RegisterAgentAsync(Keys);
        for (var i = 0; i < Keys; i++)
        {
            await CreateWorkAsync(project);
        }

        var claimed = await UseAsync<IWorkClaimer, IReadOnlyList<ClaimedWork>>(c => c.ClaimBatchAsync(agent.Id, project.Id, Keys));
        Assert.That(claimed, Has.Count.EqualTo(Keys));
        var policy = Services.GetRequiredService<QaPolicy>();
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        var database = db.Database.GetConnectionString();

        // A host's clocks (or databases) each used once: one completion combiner each, through the library's own path.
        foreach (var work in claimed)
        {
            var clock = new FakeTimeProvider(Clock.GetUtcNow());
            Assert.That(await CompletionCombiner.TryCompleteAsync(db, new CompletionRequest([work.Lease], clock, policy), CancellationToken.None), Is.True);
        }

        var registry = CompletionCombiner.Registry(policy);
        Assert.That(registry, Is.Not.Null, "the completions went through the combiner");
        Assert.That(registry!.Count(k => k.Database == database), Is.InRange(1, 2 * CombinerRegistry<int, int, int>.MinimumSweep));
        registry.Sweep();
        registry.Sweep();
        Assert.That(registry.Count(k => k.Database == database), Is.Zero);
        Assert.That(await db.WorkItems.CountAsync(w => w.ProjectId == project.Id && w.Status == WorkItemStatus.Done), Is.EqualTo(Keys));
    }

    [Test]
    public async Task A_combiner_with_a_claim_in_flight_and_one_queued_is_not_evicted_and_a_retired_one_takes_no_caller()
    {
        PostgreSqlOnly();
        var project = await CreateProjectAsync();
        var agents = new[] { await RegisterAgentAsync(4), await RegisterAgentAsync(4), await RegisterAgentAsync(4) };
        for (var i = 0; i < 3; i++)
        {
            await CreateWorkAsync(project);
        }

        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        Assert.That(await UseAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(agents[2].Id, project.Id)), Is.Not.Null);
        var registry = ClaimCombiner.Registry(db.Model)!;
        var first = registry.Where(k => k.Project == project.Id).Single();

        // The leader waits for its agent's row in flight; the second claim queues behind it: sweeps leave them be.
        Task<ClaimedWork?> leader;
        Task<ClaimedWork?> queued;
        await using (await HoldAgentAsync(agents[0]))
        {
            leader = Claim(c => c.ClaimNextAsync(agents[0].Id, project.Id));
            await PostgresWaits.UntilBlockedAsync(Database);
            queued = Claim(c => c.ClaimNextAsync(agents[1].Id, project.Id));
            registry.Sweep();
            registry.Sweep();
            registry.Sweep();
            Assert.That(registry.Where(k => k.Project == project.Id), Is.EqualTo(new[] { first }), "a combiner in use is never evicted");
        }

        Assert.That(await WithinAsync(Task.WhenAll(leader, queued)), Has.All.Not.Null);

        // Retired in place, as by a sweep that has not removed it yet: a caller that looks it up is refused by it and
        // goes to its successor, so nobody ever waits in a combiner no leader serves.
        Assert.That(first.TryRetire() || first.TryRetire(), Is.True);
        var request = new ClaimRequest(agents[2].Id, project.Id, Clock, TimeSpan.FromMinutes(5), "test", [Guid.NewGuid()]);
        Assert.That(first.TryRunAsync(db, request, CancellationToken.None), Is.Null, "a retired combiner takes no caller");
        Assert.That(await WithinAsync(Claim(c => c.ClaimNextAsync(agents[2].Id, project.Id))), Is.Null, "every item was claimed");
        Assert.That(registry.Where(k => k.Project == project.Id), Has.Count.EqualTo(1).And.None.SameAs(first));
    }

    [Test]
    public async Task Claims_and_completions_across_projects_while_combiners_are_swept_hand_out_every_item_exactly_once()
    {
        const int projects = 12;
        const int perProject = 8;
        var projectIds = new List<Guid>();
        var items = new List<Guid>();
        for (var p = 0; p < projects; p++)
        {
            var project = await CreateProjectAsync();
            projectIds.Add(project.Id);
            for (var i = 0; i < perProject; i++)
            {
                items.Add((await CreateWorkAsync(project)).Id);
            }
        }

        var agents = new List<AgentProfile>();
        for (var a = 0; a < 8; a++)
        {
            agents.Add(await RegisterAgentAsync(projects * perProject));
        }

        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        var policy = Services.GetRequiredService<QaPolicy>();
        var claimed = new ConcurrentBag<Guid>();
        var workers = agents.Select((agent, w) => Task.Run(async () =>
        {
            // Each worker goes round the projects from its own start, so projects fall idle and busy again at random.
            for (var round = 0; ; round++)
            {
                var any = false;
                for (var p = 0; p < projects; p++)
                {
                    var project = projectIds[(p + w * 5 + round) % projects];
                    if (await Claim(c => c.ClaimNextAsync(agent.Id, project)) is { } work)
                    {
                        claimed.Add(work.Lease.WorkItemId);
                        await Claim(async c =>
                        {
                            await c.CompleteAsync(work.Lease);
                            return true;
                        });
                        any = true;
                    }
                }

                if (!any)
                {
                    return;
                }
            }
        })).ToList();

        // Sweeps as fast as they come, retiring every combiner idle for two of them while the claims and completions go on.
        var done = Task.WhenAll(workers);
        var sweeps = Task.Run(async () =>
        {
            while (!done.IsCompleted)
            {
                ClaimCombiner.Registry(db.Model)?.Sweep();
                CompletionCombiner.Registry(policy)?.Sweep();
                await Task.Delay(1);
            }
        });

        await WithinAsync(done);
        await sweeps;
        Assert.That(claimed, Is.EquivalentTo(items), "every item claimed exactly once");
        await using var check = CreateContext();
        Assert.That(await check.WorkItems.CountAsync(w => projectIds.Contains(w.ProjectId) && w.Status == WorkItemStatus.Done), Is.EqualTo(items.Count), "every item completed");
    }

    private void PostgreSqlOnly()
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            Assert.Ignore("SQLite runs one writer at a time and combines nothing: it has no combiners to evict.");
        }
    }

    /// <summary>A hang fails the test instead of stalling the suite.</summary>
    private static async Task<T> WithinAsync<T>(Task<T> task)
    {
        Assert.That(await Task.WhenAny(task, Task.Delay(TimeSpan.FromMinutes(2))), Is.SameAs(task), "nothing hangs");
        return await task;
    }

    private static async Task WithinAsync(Task task)
    {
        Assert.That(await Task.WhenAny(task, Task.Delay(TimeSpan.FromMinutes(2))), Is.SameAs(task), "nothing hangs");
        await task;
    }

    private Task<T> Claim<T>(Func<IWorkClaimer, Task<T>> call) => CombinerCalls.InScope(Services, call);

    private Task<IAsyncDisposable> HoldAgentAsync(AgentProfile agent) => CombinerCalls.HoldAgentAsync(CreateContext(), agent);
}
