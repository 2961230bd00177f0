using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AgentOrchestration.Data.Tests.Claims;

/// <summary>Claim-next, batch claims, leases and fencing, on each provider.</summary>
public sealed class ClaimTests(DatabaseProvider provider) : ClaimFixture(provider, agentLimit: 10)
{
    [Test]
    public async Task Claims_the_highest_priority_ready_item_and_records_it()
    {
        var low = await AddItemAsync(priority: 4);
        var high = await AddItemAsync(priority: 1);

        var claimed = await ClaimAsync(Agent.Id);

        Assert.That(claimed, Is.Not.Null);
        Assert.That(claimed!.Lease.WorkItemId, Is.EqualTo(high.Id));
        Assert.That(claimed.Lease.FencingToken, Is.EqualTo(1));
        Assert.That(claimed.LeaseExpiresAt, Is.EqualTo(Clock.GetUtcNow() + TimeSpan.FromMinutes(5)));

        await using var db = CreateContext();
        var item = await db.WorkItems.Include(w => w.CurrentAssignment).SingleAsync(w => w.Id == high.Id);
        Assert.Multiple(() =>
        {
            Assert.That(item.DelegationStatus, Is.EqualTo(DelegationStatus.Assigned));
            Assert.That(item.AssigneeType, Is.EqualTo(AssigneeType.Agent));
            Assert.That(item.AssigneeId, Is.EqualTo(Agent.Id));
            Assert.That(item.AssignedAgentId, Is.EqualTo(Agent.Id));
            Assert.That(item.CurrentAssignment?.Id, Is.EqualTo(claimed.Lease.AssignmentId));
            Assert.That(item.CurrentAssignment?.Status, Is.EqualTo(AssignmentStatus.Assigned));
            Assert.That(item.CurrentAssignment?.LeaseExpiresAt, Is.EqualTo(claimed.LeaseExpiresAt));
            Assert.That(item.DelegationHistory?.Single().Action, Is.EqualTo("claim"));
            Assert.That(item.DelegationHistory?.Single().At, Is.EqualTo(Clock.GetUtcNow()));
            Assert.That(item.DelegationHistory?.Single().ToStatus, Is.EqualTo(DelegationStatus.Assigned));
            Assert.That(item.DelegationHistory?.Single().AssignmentId, Is.EqualTo(claimed.Lease.AssignmentId));
        });
        var claimedEvent = await db.Events.SingleAsync(e => e.Type == OrchestrationEventTypes.WorkItemClaimed);
        Assert.That(claimedEvent.EntityId, Is.EqualTo(high.Id));
        Assert.That(claimedEvent.Payload?.AgentId, Is.EqualTo(Agent.Id));
        Assert.That(claimedEvent.Payload?.To, Is.EqualTo("assigned"));
        Assert.That(await db.WorkItems.Where(w => w.Id == low.Id).Select(w => w.DelegationStatus).SingleAsync(), Is.EqualTo(DelegationStatus.Unassigned));
    }

    [Test]
    public async Task Only_ready_items_the_agent_can_do_in_its_project_are_claimed()
    {
        var blocker = await AddItemAsync(priority: 3);
        var blocked = await AddItemAsync(priority: 1);
        var needsPython = await AddItemAsync(priority: 1, capabilities: ["python"]);
        var story = await AddItemAsync(priority: 1, type: WorkItemType.Story);
        await UseAsync<IWorkItemService, bool>(async w =>
        {
            await w.AddDependencyAsync(blocked.Id, blocker.Id);
            return true;
        });
        var elsewhere = await CreateProjectAsync();
        await CreateWorkAsync(elsewhere, configure: w => w.Priority = 1);

        var first = await ClaimAsync(Agent.Id);
        Assert.That(first?.Lease.WorkItemId, Is.EqualTo(blocker.Id), "blocked, capability-less, story and foreign items are skipped");
        Assert.That(await ClaimAsync(Agent.Id), Is.Null, "the blocked item waits for its dependency");

        await CompleteAsync(first!.Lease);
        var second = await ClaimAsync(Agent.Id);
        Assert.That(second?.Lease.WorkItemId, Is.EqualTo(blocked.Id), "ready once its dependency is done");
        Assert.That(needsPython.Id, Is.Not.EqualTo(second!.Lease.WorkItemId));
        Assert.That(story.Id, Is.Not.EqualTo(second.Lease.WorkItemId));
    }

    [Test]
    public async Task An_agent_never_exceeds_its_concurrency_limit()
    {
        for (var i = 0; i < 5; i++)
        {
            await AddItemAsync(priority: 3);
        }

        await using (var db = CreateContext())
        {
            await db.AgentProfiles.Where(a => a.Id == Agent.Id).ExecuteUpdateAsync(s => s.SetProperty(a => a.MaxConcurrentTasks, 2));
        }

        await using var scope = Services.CreateAsyncScope();
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        var batch = await claimer.ClaimBatchAsync(Agent.Id, Project.Id, 5);
        Assert.That(batch, Has.Count.EqualTo(2));
        Assert.That(await claimer.ClaimNextAsync(Agent.Id, Project.Id), Is.Null);

        await claimer.CompleteAsync(batch[0].Lease);
        Assert.That(await claimer.ClaimNextAsync(Agent.Id, Project.Id), Is.Not.Null, "completing frees a slot");
    }

    [Test]
    public async Task A_batch_claims_in_priority_order()
    {
        var items = new List<WorkItem>();
        for (var priority = 5; priority >= 1; priority--)
        {
            items.Add(await AddItemAsync(priority));
        }

        await using var scope = Services.CreateAsyncScope();
        var batch = await scope.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimBatchAsync(Agent.Id, Project.Id, 3);

        Assert.That(batch.Select(b => b.Priority), Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(batch.Select(b => b.Lease.AssignmentId).Distinct().Count(), Is.EqualTo(3));
    }

    [Test]
    public async Task A_batch_comes_back_in_claim_order_creation_time_before_id()
    {
        var newer = await AddItemAsync(priority: 2);
        var older = await AddItemAsync(priority: 2);
        var urgent = await AddItemAsync(priority: 1);
        await using (var db = CreateContext())
        {
            // The first item's id sorts first, but it was created last: within a priority the older item comes first.
            await db.WorkItems.Where(w => w.Id == newer.Id).ExecuteUpdateAsync(s => s.SetProperty(w => w.CreatedAt, Clock.GetUtcNow()));
        }

        await using var scope = Services.CreateAsyncScope();
        var batch = await scope.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimBatchAsync(Agent.Id, Project.Id, 3);

        Assert.That(batch.Select(b => b.Lease.WorkItemId), Is.EqualTo(new[] { urgent.Id, older.Id, newer.Id }));
    }

    [Test]
    public async Task An_expired_lease_returns_the_item_and_fences_off_the_old_holder()
    {
        await AddItemAsync(priority: 2);
        var other = await RegisterAgentAsync();

        var first = await ClaimAsync(Agent.Id);
        Assert.That(await ClaimAsync(other.Id), Is.Null, "a live lease is not reclaimed");

        Clock.Advance(TimeSpan.FromMinutes(6));
        var second = await ClaimAsync(other.Id);
        Assert.That(second?.Lease.WorkItemId, Is.EqualTo(first!.Lease.WorkItemId));
        Assert.That(second!.Lease.FencingToken, Is.EqualTo(first.Lease.FencingToken + 1));

        await using var scope = Services.CreateAsyncScope();
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        var refused = Assert.ThrowsAsync<LeaseLostException>(() => claimer.CompleteAsync(first.Lease));
        Assert.That(refused!.Message, Does.Contain(first.Lease.FencingToken.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.ThrowsAsync<LeaseLostException>(() => claimer.RenewAsync(first.Lease));

        await using var db2 = CreateContext();
        var item = await db2.WorkItems.Include(w => w.Assignments).SingleAsync(w => w.Id == first.Lease.WorkItemId);
        Assert.That(item.DelegationStatus, Is.EqualTo(DelegationStatus.Assigned), "the late write changed nothing");
        Assert.That(item.CurrentAssignmentId, Is.EqualTo(second.Lease.AssignmentId));
        Assert.That(item.Assignments.Single(a => a.Id == first.Lease.AssignmentId).Status, Is.EqualTo(AssignmentStatus.Cancelled));

        await claimer.CompleteAsync(second.Lease);
        Assert.That(await db2.WorkItems.Where(w => w.Id == item.Id).Select(w => w.Status).SingleAsync(), Is.EqualTo(WorkItemStatus.Done));
    }

    [Test]
    public async Task Renewing_extends_the_lease_and_releasing_requeues()
    {
        await AddItemAsync(priority: 2);
        var claimed = await ClaimAsync(Agent.Id);

        await using var scope = Services.CreateAsyncScope();
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        Clock.Advance(TimeSpan.FromMinutes(4));
        var renewed = await claimer.RenewAsync(claimed!.Lease, TimeSpan.FromMinutes(10));
        Assert.That(renewed.LeaseExpiresAt, Is.EqualTo(Clock.GetUtcNow() + TimeSpan.FromMinutes(10)));

        Clock.Advance(TimeSpan.FromMinutes(8));
        await claimer.ReleaseAsync(claimed.Lease, "needs a human");
        var again = await claimer.ClaimNextAsync(Agent.Id, Project.Id);
        Assert.That(again?.Lease.WorkItemId, Is.EqualTo(claimed.Lease.WorkItemId));
        Assert.That(again!.Lease.FencingToken, Is.EqualTo(2));
    }

    [Test]
    public async Task Refusals_name_the_problem()
    {
        await using var scope = Services.CreateAsyncScope();
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();

        Assert.ThrowsAsync<EntityNotFoundException>(() => claimer.ClaimNextAsync(Guid.NewGuid(), Project.Id));
        Assert.ThrowsAsync<EntityNotFoundException>(() => claimer.ClaimNextAsync(Agent.Id, Guid.NewGuid()));
        var range = Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => claimer.ClaimBatchAsync(Agent.Id, Project.Id, 0));
        Assert.That(range!.Message, Does.Contain("1 to 1000"));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => claimer.ClaimNextAsync(Agent.Id, Project.Id, new ClaimOptions { LeaseDuration = TimeSpan.Zero }));

        await AddItemAsync(priority: 1);
        await UseAsync<IAgentRegistry, AgentProfile>(r => r.ArchiveAsync(Agent.Slug));
        await MarkSeededAsync();
        var archived = Assert.ThrowsAsync<InvalidStateTransitionException>(() => claimer.ClaimNextAsync(Agent.Id, Project.Id));
        Assert.That(archived!.Message, Does.Contain("archived").And.Contain(Agent.Slug));
        await using var check = CreateContext();
        Assert.That(await check.TaskAssignments.CountAsync(), Is.Zero, "refusals write nothing");
        Assert.That(await TestEvents(check).CountAsync(), Is.Zero);
    }

    [Test]
    public async Task Thirty_two_workers_claim_two_thousand_items_each_exactly_once()
    {
        const int items = 2000;
        const int workers = 32;
        await using (var db = CreateContext())
        {
            for (var i = 0; i < items; i++)
            {
                var item = Fakes.WorkItem(Project);
                item.Project = null;
                item.ProjectId = Project.Id;
                item.Priority = (i % 5) + 1;
                db.Add(item);
            }

            var agents = Enumerable.Range(0, workers).Select(_ => Fakes.Agent()).ToList();
            db.AddRange(agents);
            await db.SaveChangesAsync();
            workerAgents = agents.Select(a => a.Id).ToList();
        }

        var claims = await Task.WhenAll(workerAgents.Select(agentId => Task.Run(async () =>
        {
            var mine = new List<Guid>();
            await using var scope = Services.CreateAsyncScope();
            var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
            while (await claimer.ClaimNextAsync(agentId, Project.Id) is { } claimed)
            {
                mine.Add(claimed.Lease.WorkItemId);
                await claimer.CompleteAsync(claimed.Lease);

                // A worker does other work between claims. SQLite's driver completes synchronously, so without a yield the
                // first worker's loop keeps its thread and can drain the queue before the pool has started the others.
                await Task.Yield();
            }

            return mine;
        })));

        var all = claims.SelectMany(c => c).ToList();
        Assert.That(all, Has.Count.EqualTo(items), "every item claimed");
        Assert.That(all.Distinct().Count(), Is.EqualTo(items), "no item claimed twice");
        Assert.That(claims.Count(c => c.Count > 0), Is.GreaterThan(1), "the workers really raced");
        await using var check = CreateContext();
        Assert.That(await check.TaskAssignments.CountAsync(), Is.EqualTo(items));
        Assert.That(await check.WorkItems.CountAsync(w => w.Status != WorkItemStatus.Done), Is.Zero);
        Assert.That(await check.Events.CountAsync(e => e.Type == OrchestrationEventTypes.WorkItemClaimed), Is.EqualTo(items));
    }

    [Test]
    public async Task A_retried_claim_with_the_same_key_returns_the_same_item()
    {
        await AddItemAsync(priority: 1);
        await AddItemAsync(priority: 2);
        var options = new ClaimOptions { IdempotencyKey = "worker-7/attempt-1" };

        var first = await ClaimWithAsync(Agent.Id, options);
        Clock.Advance(TimeSpan.FromSeconds(30));
        var retried = await ClaimWithAsync(Agent.Id, options);

        Assert.That(retried, Is.EqualTo(first), "same item, assignment, fencing token and expiry");
        var other = await ClaimWithAsync(Agent.Id, new ClaimOptions { IdempotencyKey = "worker-7/attempt-2" });
        Assert.That(other!.Lease.WorkItemId, Is.Not.EqualTo(first!.Lease.WorkItemId), "a new key claims anew");
        await using var db = CreateContext();
        Assert.That(await db.TaskAssignments.CountAsync(), Is.EqualTo(2));
        Assert.That(await db.Events.CountAsync(e => e.Type == OrchestrationEventTypes.WorkItemClaimed), Is.EqualTo(2));
        Assert.ThrowsAsync<ArgumentException>(() => ClaimWithAsync(Agent.Id, new ClaimOptions { IdempotencyKey = "has#hash" }));
    }

    [Test]
    public async Task Racing_retries_with_one_key_claim_once()
    {
        for (var i = 0; i < 5; i++)
        {
            await AddItemAsync(priority: 3);
        }

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            await using var scope = Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<IWorkClaimer>()
                .ClaimBatchAsync(Agent.Id, Project.Id, 2, new ClaimOptions { IdempotencyKey = "batch-1" });
        })));

        var distinct = results.Select(r => string.Join(",", r.Select(c => c.Lease.AssignmentId).Order())).Distinct().ToList();
        Assert.That(distinct, Has.Count.EqualTo(1), "every retry saw the one claim");
        Assert.That(results[0], Has.Count.EqualTo(2));
        await using var db = CreateContext();
        Assert.That(await db.TaskAssignments.CountAsync(), Is.EqualTo(2));
    }

    private async Task<ClaimedWork?> ClaimWithAsync(Guid agentId, ClaimOptions options)
    {
        await using var scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimNextAsync(agentId, Project.Id, options);
    }

    private List<Guid> workerAgents = [];

    private async Task<ClaimedWork?> ClaimAsync(Guid agentId)
    {
        await using var scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimNextAsync(agentId, Project.Id);
    }

    private async Task CompleteAsync(WorkLease lease)
    {
        await using var scope = Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IWorkClaimer>().CompleteAsync(lease);
    }
}
