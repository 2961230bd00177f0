using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Claims;

/// <summary>
/// Every write that presents a lease is checked on all of it: fencing tokens count per item from 1, so a token that
/// matches proves nothing unless the item and the assignment match too.
/// </summary>
public sealed class WholeLeaseTests(DatabaseProvider provider) : ClaimFixture(provider, agentLimit: 2)
{
    [Test]
    public async Task Another_projects_item_cannot_be_completed_or_released_with_ones_own_assignment()
    {
        await AddItemAsync(1);
        var (otherItem, otherLease) = await ClaimInAnotherProjectAsync();
        var mine = (await ClaimAsync())!;
        Assert.That(mine.Lease.FencingToken, Is.EqualTo(otherLease.FencingToken), "both first claims of their items have token 1");

        var forged = new WorkLease(otherItem.Id, mine.Lease.AssignmentId, mine.Lease.FencingToken);
        await WithClaimerAsync(async claimer =>
        {
            var complete = Assert.ThrowsAsync<LeaseLostException>(() => claimer.CompleteAsync(forged));
            Assert.That(complete!.Message, Does.Contain("is not the work item's current assignment"));
            Assert.ThrowsAsync<LeaseLostException>(() => claimer.ReleaseAsync(forged, "not mine"));
            Assert.ThrowsAsync<LeaseLostException>(() => claimer.RenewAsync(forged));
        });

        await using var db = CreateContext();
        var item = await db.WorkItems.AsNoTracking().Include(w => w.CurrentAssignment).SingleAsync(w => w.Id == otherItem.Id);
        Assert.Multiple(() =>
        {
            Assert.That(item.Status, Is.EqualTo(WorkItemStatus.Todo), "not completed");
            Assert.That(item.DelegationStatus, Is.EqualTo(DelegationStatus.Assigned), "not released");
            Assert.That(item.CurrentAssignmentId, Is.EqualTo(otherLease.AssignmentId));
            Assert.That(item.CurrentAssignment!.Status, Is.EqualTo(AssignmentStatus.Assigned));
        });

        // Its real holder still completes it, and the forger still holds its own item.
        await WithClaimerAsync(claimer => claimer.CompleteAsync(otherLease));
        await WithClaimerAsync(claimer => claimer.RenewAsync(mine.Lease));
    }

    [Test]
    public async Task A_lease_with_an_unknown_assignment_is_refused_everywhere()
    {
        var item = await AddItemAsync(1);
        var claimed = (await ClaimAsync())!;
        var forged = claimed.Lease with { AssignmentId = Guid.NewGuid() };

        await WithClaimerAsync(claimer =>
        {
            Assert.ThrowsAsync<LeaseLostException>(() => claimer.ReleaseAsync(forged));
            Assert.ThrowsAsync<LeaseLostException>(() => claimer.CompleteAsync(forged));
            Assert.ThrowsAsync<LeaseLostException>(() => claimer.RenewAsync(forged));
            return Task.CompletedTask;
        });

        await using var db = CreateContext();
        var stored = await db.WorkItems.AsNoTracking().SingleAsync(w => w.Id == item.Id);
        Assert.That((stored.DelegationStatus, stored.Status, stored.CurrentAssignmentId), Is.EqualTo((DelegationStatus.Assigned, WorkItemStatus.Todo, (Guid?)claimed.Lease.AssignmentId)));
        await WithClaimerAsync(claimer => claimer.ReleaseAsync(claimed.Lease));
    }

    private async Task<ClaimedWork?> ClaimAsync()
    {
        await using var scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimNextAsync(Agent.Id, Project.Id);
    }

    private async Task WithClaimerAsync(Func<IWorkClaimer, Task> call)
    {
        await using var scope = Services.CreateAsyncScope();
        await call(scope.ServiceProvider.GetRequiredService<IWorkClaimer>());
    }

    /// <summary>A second project whose one item another agent has claimed.</summary>
    private async Task<(WorkItem Item, WorkLease Lease)> ClaimInAnotherProjectAsync()
    {
        var project = await CreateProjectAsync();
        var holder = await RegisterAgentAsync();
        var item = await CreateWorkAsync(project);

        await using var scope = Services.CreateAsyncScope();
        var claimed = await scope.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimNextAsync(holder.Id, project.Id);
        Assert.That(claimed?.Lease.WorkItemId, Is.EqualTo(item.Id));
        return (item, claimed!.Lease);
    }
}
