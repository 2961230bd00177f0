using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Claims;

/// <summary>
/// The lease holder's fast paths (plain statements outside a host's transaction) refuse exactly what the general path
/// (inside one) refuses, with the same exception, and write nothing when they refuse: generated bad leases are sent
/// both ways and the exceptions and the whole database compared; a good renewal writes the same both ways.
/// </summary>
public sealed class LeaseFastPathTests(DatabaseProvider provider) : ClaimFixture(provider, agentLimit: 4)
{
    private delegate Task LeaseCall(IWorkClaimer claimer, WorkLease lease, WorkLease good);

    private (string Name, LeaseCall Call)[] Calls =>
    [
        ("complete", (c, lease, _) => c.CompleteAsync(lease)),
        ("renew", (c, lease, _) => c.RenewAsync(lease)),
        ("complete a batch with a good lease", (c, lease, good) => c.CompleteBatchAsync([good, lease])),

        // A ready item is left: a refused completion must not claim it either.
        ("complete and claim next", (c, lease, _) => c.CompleteAndClaimNextAsync(lease, Agent.Id, Project.Id)),
    ];

    [Test]
    public async Task Generated_bad_leases_are_refused_alike_with_and_without_the_fast_path([Values(1, 2, 3)] int seed)
    {
        for (var i = 0; i < 4; i++)
        {
            await AddItemAsync(i + 1);
        }

        var claimed = await ClaimAsync(3);
        await WithClaimerAsync(c => c.ReleaseAsync(claimed[2].Lease, "given back"));
        var (held, other, released) = (claimed[0].Lease, claimed[1].Lease, claimed[2].Lease);

        var random = new Random(seed);
        Func<WorkLease>[] kinds =
        [
            () => held with { FencingToken = held.FencingToken + 1 + random.Next(3) },
            () => held with { FencingToken = 0 },
            () => held with { AssignmentId = Guid.NewGuid() },
            () => held with { AssignmentId = other.AssignmentId },
            () => other with { WorkItemId = held.WorkItemId },
            () => released,
            () => released with { AssignmentId = held.AssignmentId, FencingToken = held.FencingToken },
            () => held with { WorkItemId = Guid.NewGuid() },
        ];

        var bad = Enumerable.Range(0, 12).Select(_ => kinds[random.Next(kinds.Length)]()).ToList();
        foreach (var lease in bad)
        {
            await RefusedAlikeAsync(lease, other);
        }

        // A lease that ran out, by the clock that decides: every part matches, only the time does not.
        Clock.Advance(new ClaimOptions().LeaseDuration + TimeSpan.FromSeconds(1 + random.Next(60)));
        await RefusedAlikeAsync(held, other);
    }

    [Test]
    public async Task Renewing_outside_and_inside_a_host_transaction_writes_the_same()
    {
        await AddItemAsync(1);
        await AddItemAsync(2);
        var claimed = await ClaimAsync(2);
        Clock.Advance(TimeSpan.FromSeconds(90));

        var outside = await UseAsync<IWorkClaimer, ClaimedWork>(c => c.RenewAsync(claimed[0].Lease, TimeSpan.FromMinutes(7)));
        ClaimedWork inside;
        await using (var scope = Services.CreateAsyncScope())
        {
            var host = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
            await using var transaction = await host.Database.BeginTransactionAsync();
            inside = await scope.ServiceProvider.GetRequiredService<IWorkClaimer>().RenewAsync(claimed[1].Lease, TimeSpan.FromMinutes(7));
            await transaction.CommitAsync();
        }

        await using var db = CreateContext();
        var items = await db.WorkItems.AsNoTracking().Include(w => w.CurrentAssignment).Where(w => w.ProjectId == Project.Id).OrderBy(w => w.Priority).ToListAsync();
        var events = await db.Events.AsNoTracking().Where(e => e.Type == OrchestrationEventTypes.WorkItemLeaseRenewed).ToDictionaryAsync(e => e.EntityId!.Value);
        object Written(WorkItem w, ClaimedWork returned)
        {
            var e = events[w.Id];
            return new
            {
                w.Status, w.DelegationStatus, w.UpdatedAt, Entries = w.DelegationHistory!.Count,
                Assignment = (w.CurrentAssignment!.Status, w.CurrentAssignment.LeaseExpiresAt, w.CurrentAssignment.UpdatedAt, w.CurrentAssignment.FencingToken),
                Event = (e.OccurredAt, e.Actor, e.EntityType, e.ProjectId, e.Payload!.From, e.Payload.To, e.Payload.AgentId, e.Payload.SessionId, e.Payload.Reason, e.Payload.Data.Count),
                PayloadItem = e.Payload.WorkItemId == w.Id,
                Returned = (returned.ProjectId, returned.LeaseExpiresAt, returned.Lease == (w.Id == claimed[0].Lease.WorkItemId ? claimed[0].Lease : claimed[1].Lease)),
            };
        }

        Assert.That(items[0].CurrentAssignment!.LeaseExpiresAt, Is.EqualTo(StartTime + TimeSpan.FromMilliseconds(2) + TimeSpan.FromSeconds(90) + TimeSpan.FromMinutes(7)));
        Assert.That(Written(items[0], outside), Is.EqualTo(Written(items[1], inside)));
    }

    /// <summary>Sends <paramref name="lease"/> through each call outside and inside a host's transaction: the same refusal, nothing written.</summary>
    private async Task RefusedAlikeAsync(WorkLease lease, WorkLease good)
    {
        foreach (var (name, call) in Calls)
        {
            if (name.StartsWith("complete a batch", StringComparison.Ordinal) && lease.WorkItemId == good.WorkItemId)
            {
                continue;
            }

            string before;
            await using (var db = CreateContext())
            {
                before = await DatabaseSnapshot.TakeAsync(db);
            }

            var fast = await CatchAsync(() => WithClaimerAsync(c => call(c, lease, good)));
            string afterFast;
            await using (var db = CreateContext())
            {
                afterFast = await DatabaseSnapshot.TakeAsync(db);
            }

            Exception? general;
            await using (var scope = Services.CreateAsyncScope())
            {
                var host = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
                await using var transaction = await host.Database.BeginTransactionAsync();
                general = await CatchAsync(() => call(scope.ServiceProvider.GetRequiredService<IWorkClaimer>(), lease, good));
            }

            Assert.Multiple(() =>
            {
                Assert.That(general, Is.Not.Null, $"{name} {lease}: the general path refuses it");
                Assert.That(fast?.GetType(), Is.EqualTo(general?.GetType()), $"{name} {lease}: the same exception type");
                Assert.That(fast?.Message, Is.EqualTo(general?.Message), $"{name} {lease}: the same message");
                Assert.That(afterFast, Is.EqualTo(before), $"{name} {lease}: nothing written");
            });
        }
    }

    private static async Task<Exception?> CatchAsync(Func<Task> call)
    {
        try
        {
            await call();
            return null;
        }
        catch (Exception exception)
        {
            return exception;
        }
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
