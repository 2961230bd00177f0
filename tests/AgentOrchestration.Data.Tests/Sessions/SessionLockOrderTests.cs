using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Storage;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Sessions;

/// <summary>How a session's heartbeat and a holder's write of the same work item share locks on PostgreSQL.</summary>
public sealed class SessionLockOrderTests(DatabaseProvider provider) : SessionFixture(provider)
{
    [Test]
    public async Task A_heartbeat_does_not_wait_for_a_write_holding_its_work_item()
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            Assert.Ignore("SQLite has one writer at a time: a heartbeat always waits for any write, and no row locks can cross.");
        }

        var session = await StartAsync(Agent.Id);
        var item = await AddItemAsync();
        await using (var scope = Services.CreateAsyncScope())
        {
            var claimed = await scope.ServiceProvider.GetRequiredService<IWorkClaimer>()
                .ClaimNextAsync(Agent.Id, Project.Id, new ClaimOptions { SessionId = session.SessionId });
            Assert.That(claimed?.Lease.WorkItemId, Is.EqualTo(item.Id));
        }

        // A holder (completing, say) has locked the item and is about to renew nothing but write its assignment. The
        // heartbeat renews that assignment's lease and updates its session, which references the item: with the item
        // locked FOR UPDATE the session's foreign-key check would wait for the holder, and the holder for the lease
        // row the heartbeat already updated — a deadlock. The item is locked FOR NO KEY UPDATE, so the heartbeat
        // finishes while the holder still holds it.
        await using var holder = CreateContext();
        await using var holding = await OrchestrationProviders.For(holder).BeginWorkItemTransactionAsync(holder, item.Id, CancellationToken.None);
        var beat = WithSessionsAsync(s => s.HeartbeatAsync(session.SessionId, "still here"));
        Assert.That(await Task.WhenAny(beat, Task.Delay(TimeSpan.FromSeconds(20))), Is.SameAs(beat), "the heartbeat finished while the item was held");
        Assert.That((await beat).CurrentAction, Is.EqualTo("still here"));
        await holding.CommitAsync();
    }
}
