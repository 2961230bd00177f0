using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Claims;

/// <summary>
/// Completing and claiming next in one call writes what <c>CompleteAsync</c> then <c>ClaimNextAsync</c> write, the claim
/// seeing the completion (a freed place under the agent's limit, a dependency now done); a refused completion writes
/// and claims nothing; a refused claim leaves the completion standing; on PostgreSQL it is one round trip, and racing
/// agents drain a project with every item completed exactly once.
/// </summary>
public sealed class CompleteAndClaimNextTests(DatabaseProvider provider) : ClaimFixture(provider, agentLimit: 1)
{
    [Test]
    public async Task The_work_is_completed_and_the_next_item_claimed_as_the_two_calls_write_them()
    {
        var first = await AddItemAsync(priority: 1);
        var second = await AddItemAsync(priority: 2);
        await AddItemAsync(priority: 3);
        var claimed = await UseAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(Agent.Id, Project.Id));
        Assert.That(claimed?.Lease.WorkItemId, Is.EqualTo(first.Id));
        Clock.Advance(TimeSpan.FromMinutes(3));

        using var trips = new NpgsqlTrips(Database);
        ClaimedWork? next = null;
        var sent = await trips.CountAsync(async () => next = await UseAsync<IWorkClaimer, ClaimedWork?>(c => c.CompleteAndClaimNextAsync(claimed!.Lease, Agent.Id, Project.Id)));

        Assert.That(next, Is.Not.Null, "the agent's one place was freed by the completion");
        Assert.That((next!.Lease.WorkItemId, next.ProjectId, next.Title, next.Priority), Is.EqualTo((second.Id, Project.Id, second.Title, 2)));
        await using var db = CreateContext();
        var done = await db.WorkItems.AsNoTracking().Include(w => w.CurrentAssignment).SingleAsync(w => w.Id == first.Id);
        var taken = await db.WorkItems.AsNoTracking().Include(w => w.CurrentAssignment).SingleAsync(w => w.Id == second.Id);
        var events = await TestEvents(db).AsNoTracking().OrderBy(e => e.Sequence).Select(e => new { e.Type, e.EntityId }).ToListAsync();
        Assert.Multiple(() =>
        {
            Assert.That((done.Status, done.DelegationStatus, done.CurrentAssignment!.Status, done.ActualHours),
                Is.EqualTo((WorkItemStatus.Done, DelegationStatus.Completed, AssignmentStatus.Completed, (decimal?)0.05m)));
            Assert.That(done.DelegationHistory!.Select(h => h.Action), Is.EqualTo(new[] { "claim", "complete" }));
            Assert.That((taken.DelegationStatus, taken.AssignedAgentId, taken.CurrentAssignmentId, taken.CurrentAssignment!.FencingToken, taken.CurrentAssignment.LeaseExpiresAt),
                Is.EqualTo((DelegationStatus.Assigned, (Guid?)Agent.Id, (Guid?)next.Lease.AssignmentId, next.Lease.FencingToken, (DateTimeOffset?)next.LeaseExpiresAt)));
            Assert.That(next.LeaseExpiresAt, Is.EqualTo(Clock.GetUtcNow() + new ClaimOptions().LeaseDuration));
            Assert.That(events.TakeLast(2).Select(e => (e.Type, e.EntityId)), Is.EqualTo(new[]
            {
                (OrchestrationEventTypes.WorkItemCompleted, (Guid?)first.Id),
                (OrchestrationEventTypes.WorkItemClaimed, (Guid?)second.Id),
            }), "the completion's event, then the claim's");
            if (Provider == DatabaseProvider.PostgreSql)
            {
                Assert.That(sent, Is.EqualTo(1), "the completion and the claim went in one round trip");
            }
        });
    }

    [Test]
    public async Task An_item_that_waited_only_for_the_completed_one_is_claimed_next()
    {
        var blocker = await AddItemAsync(priority: 3);
        var blocked = await AddItemAsync(priority: 1);
        await UseAsync<IWorkItemService, bool>(async w =>
        {
            await w.AddDependencyAsync(blocked.Id, blocker.Id);
            return true;
        });
        var claimed = await UseAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(Agent.Id, Project.Id));
        Assert.That(claimed?.Lease.WorkItemId, Is.EqualTo(blocker.Id));

        var next = await UseAsync<IWorkClaimer, ClaimedWork?>(c => c.CompleteAndClaimNextAsync(claimed!.Lease, Agent.Id, Project.Id));
        Assert.That(next?.Lease.WorkItemId, Is.EqualTo(blocked.Id), "the claim saw its dependency done");
    }

    [Test]
    public async Task With_nothing_ready_the_completion_stands_and_nothing_is_claimed()
    {
        var only = await AddItemAsync(priority: 1);
        var claimed = await UseAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(Agent.Id, Project.Id));

        var next = await UseAsync<IWorkClaimer, ClaimedWork?>(c => c.CompleteAndClaimNextAsync(claimed!.Lease, Agent.Id, Project.Id));

        Assert.That(next, Is.Null);
        await using var db = CreateContext();
        Assert.That(await db.WorkItems.Where(w => w.Id == only.Id).Select(w => w.Status).SingleAsync(), Is.EqualTo(WorkItemStatus.Done));
        Assert.That(await db.TaskAssignments.CountAsync(), Is.EqualTo(1));
    }

    [Test]
    public async Task A_lease_no_longer_held_is_refused_and_nothing_is_written_or_claimed()
    {
        await AddItemAsync(priority: 1);
        await AddItemAsync(priority: 2);
        var claimed = await UseAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(Agent.Id, Project.Id));
        Clock.Advance(new ClaimOptions().LeaseDuration + TimeSpan.FromSeconds(1));
        string before;
        await using (var db = CreateContext())
        {
            before = await DatabaseSnapshot.TakeAsync(db);
        }

        var refused = Assert.ThrowsAsync<LeaseLostException>(() => UseAsync<IWorkClaimer, ClaimedWork?>(c => c.CompleteAndClaimNextAsync(claimed!.Lease, Agent.Id, Project.Id)));

        Assert.That(refused!.WorkItemId, Is.EqualTo(claimed!.Lease.WorkItemId));
        await using (var db = CreateContext())
        {
            Assert.That(await DatabaseSnapshot.TakeAsync(db), Is.EqualTo(before), "nothing completed, nothing claimed");
        }
    }

    [Test]
    public async Task Bad_claim_arguments_are_refused_before_the_completion_is_written()
    {
        await AddItemAsync(priority: 1);
        var claimed = await UseAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(Agent.Id, Project.Id));

        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => UseAsync<IWorkClaimer, ClaimedWork?>(c =>
            c.CompleteAndClaimNextAsync(claimed!.Lease, Agent.Id, Project.Id, new ClaimOptions { LeaseDuration = TimeSpan.FromSeconds(-1) })));
        var empty = Assert.ThrowsAsync<ArgumentException>(() => UseAsync<IWorkClaimer, ClaimedWork?>(c => c.CompleteAndClaimNextAsync(claimed!.Lease, Guid.Empty, Project.Id)));
        Assert.That(empty!.ParamName, Is.EqualTo("agentId"));

        await using var db = CreateContext();
        Assert.That(await db.TaskAssignments.Select(a => a.Status).SingleAsync(), Is.EqualTo(AssignmentStatus.Assigned), "the lease is still held");
    }

    [Test]
    public async Task A_claim_refused_after_the_completion_leaves_the_completion_standing()
    {
        var item = await AddItemAsync(priority: 1);
        await AddItemAsync(priority: 2);
        var claimed = await UseAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(Agent.Id, Project.Id));
        var stranger = Guid.NewGuid();

        var refused = Assert.ThrowsAsync<EntityNotFoundException>(() => UseAsync<IWorkClaimer, ClaimedWork?>(c => c.CompleteAndClaimNextAsync(claimed!.Lease, stranger, Project.Id)));

        Assert.That(refused!.Message, Does.Contain(stranger.ToString()));
        await using var db = CreateContext();
        Assert.That(await db.WorkItems.Where(w => w.Id == item.Id).Select(w => w.Status).SingleAsync(), Is.EqualTo(WorkItemStatus.Done));
        Assert.That(await db.TaskAssignments.CountAsync(), Is.EqualTo(1), "nothing claimed");
    }

    [Test]
    public async Task The_next_claims_idempotency_key_replays_it()
    {
        await AddItemAsync(priority: 1);
        await AddItemAsync(priority: 2);
        await AddItemAsync(priority: 3);
        var claimed = await UseAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(Agent.Id, Project.Id));
        var options = new ClaimOptions { IdempotencyKey = "next-after-1" };

        var next = await UseAsync<IWorkClaimer, ClaimedWork?>(c => c.CompleteAndClaimNextAsync(claimed!.Lease, Agent.Id, Project.Id, options));
        var again = await UseAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(Agent.Id, Project.Id, options));

        Assert.That(again?.Lease, Is.EqualTo(next?.Lease), "the retry of the claim finds what the chained call took");
        await using var db = CreateContext();
        Assert.That(await db.TaskAssignments.CountAsync(), Is.EqualTo(2));
    }

    [Test]
    public async Task The_whole_call_retried_with_the_callers_key_replays_its_claim_and_changes_nothing()
    {
        await AddItemAsync(priority: 1);
        await AddItemAsync(priority: 2);
        await AddItemAsync(priority: 3);
        var claimed = await UseAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(Agent.Id, Project.Id));
        var options = new ClaimOptions { IdempotencyKey = "chain-retry" };
        var next = await UseAsync<IWorkClaimer, ClaimedWork?>(c => c.CompleteAndClaimNextAsync(claimed!.Lease, Agent.Id, Project.Id, options));
        string before;
        await using (var db = CreateContext())
        {
            before = await DatabaseSnapshot.TakeAsync(db);
        }

        // As a caller does after a fault whose outcome it could not learn: the same call, the same key.
        var again = await UseAsync<IWorkClaimer, ClaimedWork?>(c => c.CompleteAndClaimNextAsync(claimed!.Lease, Agent.Id, Project.Id, options));

        Assert.That(again?.Lease, Is.EqualTo(next?.Lease));
        await using (var db = CreateContext())
        {
            Assert.That(await DatabaseSnapshot.TakeAsync(db), Is.EqualTo(before), "nothing completed or claimed again");
        }

        // Without a key the completed lease is refused, as CompleteAsync refuses it.
        Assert.ThrowsAsync<LeaseLostException>(() => UseAsync<IWorkClaimer, ClaimedWork?>(c => c.CompleteAndClaimNextAsync(claimed!.Lease, Agent.Id, Project.Id)));
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Racing_agents_chaining_their_work_complete_every_item_exactly_once(CancellationToken cancellationToken)
    {
        const int Items = 48;
        const int Workers = 6;
        for (var i = 0; i < Items; i++)
        {
            await CreateWorkAsync(Project, configure: w => w.Priority = i % 5 + 1);
        }

        var agents = new List<AgentProfile>();
        for (var i = 0; i < Workers; i++)
        {
            agents.Add(await RegisterAgentAsync(maxConcurrentTasks: 1));
        }

        var completed = await Task.WhenAll(agents.Select(agent => Task.Run(async () =>
        {
            await using var scope = Services.CreateAsyncScope();
            var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
            var mine = new List<Guid>();
            var work = await claimer.ClaimNextAsync(agent.Id, Project.Id, cancellationToken: cancellationToken);
            while (work is not null)
            {
                mine.Add(work.Lease.WorkItemId);
                work = await claimer.CompleteAndClaimNextAsync(work.Lease, agent.Id, Project.Id, cancellationToken: cancellationToken);
            }

            return mine;
        }, cancellationToken)));

        var all = completed.SelectMany(m => m).ToList();
        Assert.That(all, Is.Unique, "no item was handed to two agents");
        await using var db = CreateContext();
        var items = await db.WorkItems.AsNoTracking().Where(w => w.ProjectId == Project.Id).Select(w => new { w.Id, w.Status }).ToListAsync(cancellationToken);
        var assignments = await db.TaskAssignments.AsNoTracking().Select(a => new { a.WorkItemId, a.Status }).ToListAsync(cancellationToken);
        Assert.Multiple(() =>
        {
            Assert.That(all, Is.EquivalentTo(items.Select(i => i.Id)), "every item was worked, by one agent");
            Assert.That(items.Select(i => i.Status), Is.All.EqualTo(WorkItemStatus.Done));
            Assert.That(assignments.Select(a => a.WorkItemId), Is.Unique, "one assignment per item");
            Assert.That(assignments.Select(a => a.Status), Is.All.EqualTo(AssignmentStatus.Completed));
        });
        Assert.That(await TestEvents(db).CountAsync(e => e.Type == OrchestrationEventTypes.WorkItemCompleted, cancellationToken), Is.EqualTo(Items));
    }
}
