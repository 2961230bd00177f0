using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Claims;

/// <summary>
/// Completing many leases at once is all or none, and a completion outside a transaction (PostgreSQL's one-round-trip
/// statement) writes exactly what the general path inside a host's transaction writes.
/// </summary>
public sealed class BatchCompleteTests(DatabaseProvider provider) : ClaimFixture(provider, agentLimit: 10)
{
    [Test]
    public async Task A_batch_completes_every_item_once_with_its_history_and_event()
    {
        var items = new[] { await AddItemAsync(1), await AddItemAsync(2), await AddItemAsync(3) };
        var claimed = await ClaimAsync(3);
        Clock.Advance(TimeSpan.FromMinutes(3));

        await WithClaimerAsync(claimer => claimer.CompleteBatchAsync([.. claimed.Select(c => c.Lease)]));

        await using var db = CreateContext();
        var stored = await db.WorkItems.AsNoTracking().Include(w => w.CurrentAssignment).Where(w => w.ProjectId == Project.Id).ToListAsync();
        var events = await db.Events.AsNoTracking().Where(e => e.Type == "work_item.completed").ToListAsync();
        Assert.Multiple(() =>
        {
            Assert.That(stored.Select(w => (w.Status, w.DelegationStatus, w.CurrentAssignment!.Status, w.ActualHours)),
                Is.All.EqualTo((WorkItemStatus.Done, DelegationStatus.Completed, AssignmentStatus.Completed, (decimal?)0.05m)));
            Assert.That(stored.Select(w => w.DelegationHistory!.Last().Action), Is.All.EqualTo("complete"));
            Assert.That(events.Select(e => e.EntityId), Is.EquivalentTo(items.Select(i => (Guid?)i.Id)));
        });
    }

    [Test]
    public async Task A_batch_with_one_lost_lease_changes_nothing()
    {
        await AddItemAsync(1);
        await AddItemAsync(2);
        var claimed = await ClaimAsync(2);
        await WithClaimerAsync(claimer => claimer.ReleaseAsync(claimed[1].Lease, "given back"));

        var refused = Assert.ThrowsAsync<LeaseLostException>(() => WithClaimerAsync(claimer => claimer.CompleteBatchAsync([claimed[0].Lease, claimed[1].Lease])));
        Assert.That(refused!.WorkItemId, Is.EqualTo(claimed[1].Lease.WorkItemId));

        await using var db = CreateContext();
        var first = await db.WorkItems.AsNoTracking().Include(w => w.CurrentAssignment).SingleAsync(w => w.Id == claimed[0].Lease.WorkItemId);
        Assert.That((first.Status, first.DelegationStatus, first.CurrentAssignment!.Status), Is.EqualTo((WorkItemStatus.Todo, DelegationStatus.Assigned, AssignmentStatus.Assigned)));
        Assert.That(await db.Events.CountAsync(e => e.Type == "work_item.completed"), Is.Zero);
        await WithClaimerAsync(claimer => claimer.CompleteBatchAsync([claimed[0].Lease]));
    }

    [Test]
    public async Task A_batch_naming_one_item_twice_or_null_is_refused()
    {
        await AddItemAsync(1);
        var claimed = await ClaimAsync(1);
        await WithClaimerAsync(claimer =>
        {
            var twice = Assert.ThrowsAsync<ArgumentException>(() => claimer.CompleteBatchAsync([claimed[0].Lease, claimed[0].Lease]));
            Assert.That(twice!.Message, Does.Contain(claimed[0].Lease.WorkItemId.ToString()).And.Contain("2 times"));
            Assert.ThrowsAsync<ArgumentException>(() => claimer.CompleteBatchAsync([claimed[0].Lease, null!]));
            return Task.CompletedTask;
        });

        await using var db = CreateContext();
        Assert.That((await db.WorkItems.AsNoTracking().SingleAsync(w => w.Id == claimed[0].Lease.WorkItemId)).Status, Is.EqualTo(WorkItemStatus.Todo));
    }

    [Test]
    public async Task A_batch_with_one_malformed_lease_is_refused_naming_it_and_changes_nothing()
    {
        await AddItemAsync(1);
        await AddItemAsync(2);
        var claimed = await ClaimAsync(2);
        var malformed = claimed[1].Lease with { FencingToken = 0 };

        var refused = Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => WithClaimerAsync(claimer => claimer.CompleteBatchAsync([claimed[0].Lease, malformed])));
        Assert.That(refused!.ParamName, Is.EqualTo("leases[1].FencingToken"));
        Assert.That(refused.Message, Does.Contain("1 or more"));

        await using var db = CreateContext();
        Assert.That(await db.WorkItems.AsNoTracking().Where(w => w.ProjectId == Project.Id).Select(w => w.Status).ToListAsync(), Is.All.EqualTo(WorkItemStatus.Todo));
        Assert.That(await db.Events.CountAsync(e => e.Type == "work_item.completed"), Is.Zero);
    }

    [Test]
    public async Task Completing_outside_and_inside_a_host_transaction_writes_the_same()
    {
        await AddItemAsync(1);
        await AddItemAsync(2);
        var claimed = await ClaimAsync(2);

        // 18 s is 0.005 h: Math.Round rounds that half to even (0.00), so a statement rounding half up would differ.
        Clock.Advance(TimeSpan.FromSeconds(18));
        await WithClaimerAsync(claimer => claimer.CompleteAsync(claimed[0].Lease));
        await using (var scope = Services.CreateAsyncScope())
        {
            var host = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
            await using var transaction = await host.Database.BeginTransactionAsync();
            await scope.ServiceProvider.GetRequiredService<IWorkClaimer>().CompleteAsync(claimed[1].Lease);
            await transaction.CommitAsync();
        }

        await using var db = CreateContext();
        var items = await db.WorkItems.AsNoTracking().Include(w => w.CurrentAssignment).Where(w => w.ProjectId == Project.Id).OrderBy(w => w.Priority).ToListAsync();
        var events = await db.Events.AsNoTracking().Where(e => e.Type == "work_item.completed").ToListAsync();
        var byItem = events.ToDictionary(e => e.EntityId!.Value);
        object Written(WorkItem w)
        {
            var entry = w.DelegationHistory!.Last();
            var e = byItem[w.Id];
            return new
            {
                w.Status, w.DelegationStatus, w.ActualHours, w.UpdatedAt, w.AssignedAgentSession,
                entry.At, entry.Action, entry.FromStatus, entry.ToStatus, entry.AssigneeType, entry.AssigneeId, entry.Actor, entry.Note,
                SameAssignment = entry.AssignmentId == w.CurrentAssignmentId, Entries = w.DelegationHistory!.Count,
                Assignment = (w.CurrentAssignment!.Status, w.CurrentAssignment.CompletedAt, w.CurrentAssignment.LeaseExpiresAt, w.CurrentAssignment.UpdatedAt),
                Event = (e.OccurredAt, e.Actor, e.EntityType, e.ProjectId, e.Payload!.From, e.Payload.To, e.Payload.AgentId, e.Payload.SessionId, e.Payload.Reason, e.Payload.Data.Count),
                PayloadItem = e.Payload.WorkItemId == w.Id,
            };
        }

        Assert.That(items[0].ActualHours, Is.EqualTo(0.00m));
        Assert.That(Written(items[0]), Is.EqualTo(Written(items[1])));
    }

    private async Task<IReadOnlyList<ClaimedWork>> ClaimAsync(int count)
    {
        await using var scope = Services.CreateAsyncScope();
        var claimed = await scope.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimBatchAsync(Agent.Id, Project.Id, count);
        Assert.That(claimed, Has.Count.EqualTo(count));
        return [.. claimed.OrderBy(c => c.Priority)];
    }

    private async Task WithClaimerAsync(Func<IWorkClaimer, Task> call)
    {
        await using var scope = Services.CreateAsyncScope();
        await call(scope.ServiceProvider.GetRequiredService<IWorkClaimer>());
    }
}
