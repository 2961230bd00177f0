using System.Collections.Concurrent;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Claims;

/// <summary>
/// Concurrent claims of different agents in one project share one execution of the multi-request claim statement on
/// PostgreSQL, and each caller still gets what its own claim would: its items (each handed out once, in claim order,
/// with its fencing token, history entry and event), its limits (capacity, session, idempotency key), and, when its
/// capability set differs from the one served, a claim of its own. PostgreSQL only: SQLite runs one writer at a time and
/// combines nothing, and only a row lock can hold one claim in flight while the others arrive. The interleavings are
/// pinned by holding the first claimer's agent row from another connection: a claim without a caller's key queues
/// synchronously inside its call, before the call returns its task.
/// </summary>
public sealed class CombinedClaimTests(DatabaseProvider provider) : OrchestrationFixture(provider)
{
    private Project project = null!;

    [SetUp]
    public async Task SeedAsync()
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            Assert.Ignore("SQLite runs one writer at a time: nothing is combined, and no row lock can hold one claim in flight.");
        }

        project = await CreateProjectAsync();
        await MarkSeededAsync();
    }

    [Test]
    public async Task Claims_of_different_agents_queued_behind_one_in_flight_share_one_execution_and_each_get_the_next_items_in_claim_order()
    {
        var agents = await AgentsAsync(7);
        var items = await ItemsAsync(10);
        using var trips = new NpgsqlTrips(Database);

        int before;
        Task<ClaimedWork?> leader;
        List<Task<ClaimedWork?>> followers;
        await using (var holder = await HoldAgentAsync(agents[0]))
        {
            leader = Claim(c => c.ClaimNextAsync(agents[0].Id, project.Id));
            await PostgresWaits.UntilBlockedAsync(Database);

            // From here: the lock probes are traced too, and the leader's batch is traced when it ends.
            before = trips.Count;
            followers = [.. agents.Skip(1).Select(a => Claim(c => c.ClaimNextAsync(a.Id, project.Id)))];
        }

        var claimed = await Task.WhenAll([leader, .. followers]);

        // The leader's own batch and one batch for the six queued behind it.
        Assert.That(trips.Count - before, Is.EqualTo(2), "the queued claims went as one execution");
        Assert.That(claimed, Has.All.Not.Null);

        // The leader took the first item; the combined requests, in the order they queued, the next ones in claim order.
        Assert.That(claimed.Select(c => c!.Lease.WorkItemId), Is.EqualTo(items.Take(7).Select(i => i.Id)));
        await AssertClaimedAsync(agents.Zip(claimed, (a, c) => (a, c!)).ToList());
    }

    [Test]
    public async Task Agents_with_different_capability_sets_combined_each_get_only_items_they_can_take()
    {
        var rust = await AgentsAsync(3, "rust");
        var go = await AgentsAsync(3, "go");
        var first = await AgentsAsync(1);
        var goItems = await ItemsAsync(3, "go");
        var rustItems = await ItemsAsync(3, "rust");
        var mine = await ItemsAsync(1);
        using var trips = new NpgsqlTrips(Database);

        // Queued as go, rust, go, rust, ...: the statement serves the first eligible request's set (go) and defers the others.
        var order = go.Zip(rust, (g, r) => new[] { g, r }).SelectMany(p => p).ToList();
        int before;
        Task<ClaimedWork?> leader;
        List<Task<ClaimedWork?>> followers;
        await using (var holder = await HoldAgentAsync(first[0]))
        {
            leader = Claim(c => c.ClaimNextAsync(first[0].Id, project.Id));
            await PostgresWaits.UntilBlockedAsync(Database);
            before = trips.Count;
            followers = [.. order.Select(a => Claim(c => c.ClaimNextAsync(a.Id, project.Id)))];
        }

        var claimed = await Task.WhenAll(followers);
        Assert.That((await leader)!.Lease.WorkItemId, Is.EqualTo(mine[0].Id));

        // The leader's batch, the combined one, and one claim of its own for each of the three deferred rust agents.
        Assert.That(trips.Count - before, Is.EqualTo(2 + 3), "the go claims were combined, the rust claims deferred and run alone");
        Assert.Multiple(() =>
        {
            for (var i = 0; i < order.Count; i++)
            {
                var allowed = (i % 2 == 0 ? goItems : rustItems).Select(w => w.Id);
                Assert.That(claimed[i]?.Lease.WorkItemId, Is.AnyOf([.. allowed.Cast<object>()]), $"agent {i} ({(i % 2 == 0 ? "go" : "rust")})");
            }
        });
        await AssertClaimedAsync([(first[0], (await leader)!), .. order.Zip(claimed, (a, c) => (a, c!))]);
    }

    [Test]
    public async Task Capacity_limits_hold_when_combined()
    {
        var full = (await AgentsAsync(1, maxConcurrentTasks: 1))[0];
        var two = (await AgentsAsync(1, maxConcurrentTasks: 2))[0];
        var other = (await AgentsAsync(2))[0..2];
        await ItemsAsync(8);
        var held = await Claim(c => c.ClaimNextAsync(full.Id, project.Id));
        Assert.That(held, Is.Not.Null);
        using var trips = new NpgsqlTrips(Database);

        Task<ClaimedWork?> leader, fullAgain;
        Task<IReadOnlyList<ClaimedWork>> batch;
        await using (var holder = await HoldAgentAsync(other[0]))
        {
            leader = Claim(c => c.ClaimNextAsync(other[0].Id, project.Id));
            await PostgresWaits.UntilBlockedAsync(Database);
            var before = trips.Count;
            fullAgain = Claim(c => c.ClaimNextAsync(full.Id, project.Id));
            batch = Claim(c => c.ClaimBatchAsync(two.Id, project.Id, 3));
            var last = Claim(c => c.ClaimNextAsync(other[1].Id, project.Id));
            await holder.DisposeAsync();
            await Task.WhenAll(leader, fullAgain, batch, last);

            // The leader's, the combined one, and the empty claim's check of "nothing ready" for the agent at its limit.
            Assert.That(trips.Count - before, Is.LessThanOrEqualTo(4));
            Assert.That(await last, Is.Not.Null);
        }

        Assert.That(await fullAgain, Is.Null, "an agent at its limit claims nothing");
        Assert.That(await batch, Has.Count.EqualTo(2), "a batch claim takes only its free capacity");
        await using var db = CreateContext();
        Assert.That(await db.TaskAssignments.CountAsync(t => t.AgentId == full.Id), Is.EqualTo(1));
        Assert.That(await db.TaskAssignments.CountAsync(t => t.AgentId == two.Id), Is.EqualTo(2));
    }

    [Test]
    public async Task Keys_and_a_session_bound_claim_hold_when_combined()
    {
        var agents = await AgentsAsync(4);
        await ItemsAsync(12);
        var session = await StartSessionAsync(project, agents[1].Id);
        using var trips = new NpgsqlTrips(Database);

        Task<ClaimedWork?> leader, bound;
        Task<IReadOnlyList<ClaimedWork>> batch;
        await using (var holder = await HoldAgentAsync(agents[0]))
        {
            leader = Claim(c => c.ClaimNextAsync(agents[0].Id, project.Id));
            await PostgresWaits.UntilBlockedAsync(Database);
            var before = trips.Count;
            bound = Claim(c => c.ClaimNextAsync(agents[1].Id, project.Id, new ClaimOptions { SessionId = session.SessionId, Actor = "bound actor" }));
            batch = Claim(c => c.ClaimBatchAsync(agents[2].Id, project.Id, 3, new ClaimOptions { Actor = "batch actor" }));
            var plain = Claim(c => c.ClaimNextAsync(agents[3].Id, project.Id));
            await holder.DisposeAsync();
            await Task.WhenAll(leader, bound, batch, plain);
            Assert.That(trips.Count - before, Is.EqualTo(2), "the three queued claims went as one execution");
        }

        var claimed = (await bound)!;
        await using var db = CreateContext();
        var item = await db.WorkItems.AsNoTracking().SingleAsync(w => w.Id == claimed.Lease.WorkItemId);
        var stored = await db.AgentSessions.AsNoTracking().SingleAsync(s => s.SessionId == session.SessionId);
        var batchLeases = (await batch).Select(c => c.Lease.AssignmentId).ToList();
        var keys = await db.TaskAssignments.AsNoTracking().Where(t => batchLeases.Contains(t.Id)).OrderBy(t => t.IdempotencyKey).Select(t => t.IdempotencyKey).ToListAsync();
        Assert.Multiple(() =>
        {
            Assert.That(stored.TaskId, Is.EqualTo(item.Id), "the session-bound claim set its session's task");
            Assert.That(item.AssignedAgentSession, Is.EqualTo(session.SessionId));
            Assert.That(item.DelegationHistory!.Single().Actor, Is.EqualTo("bound actor"));
            Assert.That(batchLeases, Has.Count.EqualTo(3));
            Assert.That(keys.Select(k => k![^2..]), Is.EqualTo(new[] { "#0", "#1", "#2" }), "a combined batch stores its key per item as alone");
            Assert.That(keys.Select(k => k![..^2]).Distinct().Count(), Is.EqualTo(1));
        });

        // A retry of a combined claim with its caller's key replays it; the same key for another request is refused.
        var keyed = await ClaimKeyedCombinedAsync(agents, "job-1");
        Assert.That(await Claim(c => c.ClaimNextAsync(agents[3].Id, project.Id, new ClaimOptions { IdempotencyKey = "job-1" })), Is.EqualTo(keyed));
        Assert.ThrowsAsync<IdempotencyKeyReusedException>(() => Claim(c => c.ClaimBatchAsync(agents[3].Id, project.Id, 2, new ClaimOptions { IdempotencyKey = "job-1" })));
    }

    [Test]
    public async Task A_large_batch_claim_never_queues_behind_a_claim_in_flight()
    {
        var agents = await AgentsAsync(2, maxConcurrentTasks: 30);
        await ItemsAsync(30);
        await using var holder = await HoldAgentAsync(agents[0]);
        var leader = Claim(c => c.ClaimNextAsync(agents[0].Id, project.Id));
        await PostgresWaits.UntilBlockedAsync(Database);

        // The leader stays blocked until the holder ends (or its command times out, after 30 s); a queued claim would wait
        // as long. The bound, under that timeout, only ends a broken test.
        var batch = Claim(c => c.ClaimBatchAsync(agents[1].Id, project.Id, 20));
        await Task.WhenAny(batch, Task.Delay(TimeSpan.FromSeconds(15)));
        Assert.That(batch.IsCompletedSuccessfully, "the batch claim ran alone while the leader was still in flight");
        Assert.That(await batch, Has.Count.EqualTo(20));
        Assert.That(leader.IsCompleted, Is.False);
        await holder.DisposeAsync();
        Assert.That(await leader, Is.Not.Null);
    }

    [Test]
    public async Task Many_agents_claiming_at_once_hand_out_every_item_exactly_once()
    {
        const int count = 80;
        var agents = await AgentsAsync(12, maxConcurrentTasks: 100);
        var items = await ItemsAsync(count);
        var got = new ConcurrentBag<(AgentProfile Agent, ClaimedWork Work)>();
        var workers = agents.Select(agent => Task.Run(async () =>
        {
            while (await Claim(c => c.ClaimNextAsync(agent.Id, project.Id)) is { } claimed)
            {
                got.Add((agent, claimed));
            }
        })).ToList();
        await Task.WhenAll(workers);

        Assert.That(got.Select(g => g.Work.Lease.WorkItemId), Is.EquivalentTo(items.Select(i => i.Id)));
        await AssertClaimedAsync([.. got]);
    }

    [Test]
    public async Task A_combined_claim_stuck_behind_a_held_agent_row_lets_the_others_claim_alone()
    {
        var agents = await AgentsAsync(4);
        await ItemsAsync(4);

        // A host transaction holds agents[1]'s row; its claim is queued with two others behind a claim in flight.
        await using var stuck = await HoldAgentAsync(agents[1]);
        Task<ClaimedWork?> leader;
        Task<ClaimedWork?> blocked;
        List<Task<ClaimedWork?>> free;
        await using (var holder = await HoldAgentAsync(agents[0]))
        {
            leader = Claim(c => c.ClaimNextAsync(agents[0].Id, project.Id));
            await PostgresWaits.UntilBlockedAsync(Database);
            blocked = Claim(c => c.ClaimNextAsync(agents[1].Id, project.Id));
            free = [.. agents.Skip(2).Select(a => Claim(c => c.ClaimNextAsync(a.Id, project.Id)))];
        }

        // The combined execution waits for the held row only briefly (its lock_timeout), writes nothing, and each request
        // claims alone: the two free ones at once, the held one when its own lock is free, as without combining.
        var freed = Task.WhenAll(free);
        Assert.That(await Task.WhenAny(freed, Task.Delay(TimeSpan.FromSeconds(60))), Is.SameAs(freed), "the free claims finished while the agent row was held");
        Assert.That(await freed, Has.All.Not.Null);
        Assert.That(blocked.IsCompleted, Is.False, "the held agent's claim still waits for its own lock, as alone");

        await stuck.DisposeAsync();
        var last = await blocked;
        Assert.That(last, Is.Not.Null);
        await AssertClaimedAsync([(agents[0], (await leader)!), (agents[1], last!), .. agents.Skip(2).Zip(await freed, (a, c) => (a, c!))]);
    }

    /// <summary>A claim with a caller's key, queued behind a held claim (its replay lookup runs first, so it is waited for).</summary>
    private async Task<ClaimedWork> ClaimKeyedCombinedAsync(AgentProfile[] agents, string key)
    {
        using var trips = new NpgsqlTrips(Database);
        await using var holder = await HoldAgentAsync(agents[0]);
        var leader = Claim(c => c.ClaimNextAsync(agents[0].Id, project.Id));
        await PostgresWaits.UntilBlockedAsync(Database);
        var before = trips.Count;
        var keyed = Claim(c => c.ClaimNextAsync(agents[3].Id, project.Id, new ClaimOptions { IdempotencyKey = key }));
        var other = Claim(c => c.ClaimNextAsync(agents[2].Id, project.Id));
        while (trips.Count - before < 1)
        {
            // The keyed claim's replay lookup found nothing: it goes on to the claim, which queues.
            await Task.Yield();
        }

        await holder.DisposeAsync();
        await Task.WhenAll(leader, keyed, other);
        return (await keyed)!;
    }

    private async Task<AgentProfile[]> AgentsAsync(int count, string capability = Capability, int maxConcurrentTasks = 4)
    {
        var agents = new AgentProfile[count];
        for (var i = 0; i < count; i++)
        {
            agents[i] = await RegisterAgentAsync(maxConcurrentTasks, a => a.Capabilities = [new CapabilityEntry { Name = capability, Proficiency = 4 }]);
        }

        return agents;
    }

    /// <summary>Ready items in claim order (one priority, a fake millisecond apart).</summary>
    private async Task<List<WorkItem>> ItemsAsync(int count, string capability = Capability)
    {
        var items = new List<WorkItem>();
        for (var i = 0; i < count; i++)
        {
            items.Add(await CreateWorkAsync(project, configure: w =>
            {
                w.Priority = 3;
                w.RequiredCapabilities = [capability];
            }));
            Clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        return items;
    }

    private Task<T> Claim<T>(Func<IWorkClaimer, Task<T>> call) => CombinerCalls.InScope(Services, call);

    private Task<IAsyncDisposable> HoldAgentAsync(AgentProfile agent) => CombinerCalls.HoldAgentAsync(CreateContext(), agent);

    /// <summary>Each claim as stored: its item assigned to its agent with its assignment, token 1 (fresh items), one claim history entry by it, one claimed event.</summary>
    private async Task AssertClaimedAsync(IReadOnlyCollection<(AgentProfile Agent, ClaimedWork Work)> claims)
    {
        await using var db = CreateContext();
        var ids = claims.Select(c => c.Work.Lease.WorkItemId).ToList();
        var stored = await db.WorkItems.AsNoTracking().Include(w => w.CurrentAssignment).Where(w => ids.Contains(w.Id)).ToDictionaryAsync(w => w.Id);
        var events = await TestEvents(db).AsNoTracking().Where(e => e.Type == OrchestrationEventTypes.WorkItemClaimed).ToListAsync();
        Assert.That(ids, Is.Unique);
        Assert.Multiple(() =>
        {
            foreach (var (agent, work) in claims)
            {
                var item = stored[work.Lease.WorkItemId];
                var what = $"item {item.Id} claimed by {agent.Id}";
                Assert.That((item.DelegationStatus, item.AssignedAgentId, item.CurrentAssignmentId), Is.EqualTo((DelegationStatus.Assigned, (Guid?)agent.Id, (Guid?)work.Lease.AssignmentId)), what);
                Assert.That((item.CurrentAssignment!.AgentId, item.CurrentAssignment.FencingToken, work.Lease.FencingToken), Is.EqualTo((agent.Id, 1L, 1L)), what);
                Assert.That(item.DelegationHistory!.Where(h => h.Action == "claim").Select(h => (h.AssigneeId, h.AssignmentId)), Is.EqualTo(new[] { ((Guid?)agent.Id, (Guid?)work.Lease.AssignmentId) }), what);
                Assert.That(events.Where(e => e.EntityId == item.Id).Select(e => e.Actor), Is.EqualTo(new[] { agent.Id.ToString() }), what);
            }
        });
    }
}
