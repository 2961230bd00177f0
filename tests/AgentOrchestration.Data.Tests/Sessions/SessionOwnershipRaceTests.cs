using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Tests.Sessions;

/// <summary>
/// Two dead sessions of one agent ended at the same time: each, alone, would see the other still live and leave the
/// agent's unnamed work to it. The agent's row lock orders them, so the second sees the first's outcome and returns the work.
/// </summary>
public sealed class SessionOwnershipRaceTests(DatabaseProvider provider) : SessionFixture(provider)
{
    [Test]
    public async Task Two_sessions_of_one_agent_failing_at_once_return_the_agents_unnamed_work_exactly_once()
    {
        var first = await StartAsync(Agent.Id);
        var second = await StartAsync(Agent.Id);
        var item = await AddItemAsync();
        var claimed = await ClaimAsync(Agent.Id);
        Assert.That(claimed?.Lease.WorkItemId, Is.EqualTo(item.Id), "claimed without a session: no session is named on the item");

        Task<AgentSession> End(string sessionId) => Task.Run(() => WithSessionsAsync(s => s.EndAsync(sessionId, SessionStatus.Failed, "crashed")));

        if (Provider == DatabaseProvider.PostgreSql)
        {
            // Pinned: the agent's row is held, so both ends have locked their own session and wait for the agent row;
            // whichever goes first must not decide on a view in which the other is still live.
            await using var holder = CreateContext();
            await using var hold = await holder.Database.BeginTransactionAsync();
            await holder.AgentProfiles.Where(a => a.Id == Agent.Id).ExecuteUpdateAsync(u => u.SetProperty(a => a.Status, a => a.Status));
            var ends = new[] { End(first.SessionId), End(second.SessionId) };
            await UntilBlockedOrDoneAsync(2, ends);
            await hold.CommitAsync();
            await Task.WhenAll(ends);
        }
        else
        {
            // SQLite runs one writer at a time; the two ends still race as real parallel tasks.
            await Task.WhenAll(End(first.SessionId), End(second.SessionId));
        }

        await using var check = CreateContext();
        var stored = await check.WorkItems.AsNoTracking().SingleAsync(w => w.Id == item.Id);
        Assert.That(stored.DelegationStatus, Is.EqualTo(DelegationStatus.Unassigned), "the work went back to the queue");
        Assert.That(stored.CurrentAssignmentId, Is.Null);
        Assert.That(await check.Events.CountAsync(e => e.Type == OrchestrationEventTypes.WorkItemRequeued && e.EntityId == item.Id), Is.EqualTo(1), "returned exactly once");
        Assert.That(await check.TaskAssignments.CountAsync(a => a.WorkItemId == item.Id && a.Status == AssignmentStatus.Cancelled), Is.EqualTo(1));
    }

    [Test]
    public async Task Two_dead_sessions_of_one_agent_reaped_by_two_reapers_at_once_return_the_agents_unnamed_work_exactly_once()
    {
        var first = await StartAsync(Agent.Id);
        var second = await StartAsync(Agent.Id);
        var item = await AddItemAsync();
        Assert.That((await ClaimAsync(Agent.Id))?.Lease.WorkItemId, Is.EqualTo(item.Id));
        Clock.Advance(TimeSpan.FromHours(1));

        Task<SessionReapResult> Reap() => Task.Run(() => ReapAsync(TimeSpan.FromMinutes(5)));

        SessionReapResult[] results;
        if (Provider == DatabaseProvider.PostgreSql)
        {
            // Pinned: with the agent's row held, each reaper has locked a session (or waits for one) before it decides
            // who owns the agent's unnamed work; neither may decide on a view in which the other session is still live.
            await using var holder = CreateContext();
            await using var hold = await holder.Database.BeginTransactionAsync();
            await holder.AgentProfiles.Where(a => a.Id == Agent.Id).ExecuteUpdateAsync(u => u.SetProperty(a => a.Status, a => a.Status));
            var reaps = new[] { Reap(), Reap() };
            await UntilBlockedOrDoneAsync(2, reaps);
            await hold.CommitAsync();
            results = await Task.WhenAll(reaps);
        }
        else
        {
            results = await Task.WhenAll(Reap(), Reap());
        }

        Assert.That(results.SelectMany(r => r.SessionIds).Order(StringComparer.Ordinal), Is.EqualTo(new[] { first.SessionId, second.SessionId }.Order(StringComparer.Ordinal)),
            "each dead session reaped once, by one of the reapers");
        await using var check = CreateContext();
        var stored = await check.WorkItems.AsNoTracking().SingleAsync(w => w.Id == item.Id);
        Assert.That(stored.DelegationStatus, Is.EqualTo(DelegationStatus.Unassigned), "the work went back to the queue");
        Assert.That(stored.CurrentAssignmentId, Is.Null);
        Assert.That(await check.Events.CountAsync(e => e.Type == OrchestrationEventTypes.WorkItemRequeued && e.EntityId == item.Id), Is.EqualTo(1), "returned exactly once");
        Assert.That(await check.TaskAssignments.CountAsync(a => a.WorkItemId == item.Id && a.Status == AssignmentStatus.Cancelled), Is.EqualTo(1));
    }

    /// <summary>Returns when <paramref name="count"/> backends wait for a lock, or every task already finished (they did not wait).</summary>
    private async Task UntilBlockedOrDoneAsync(int count, Task[] tasks)
    {
        var blocked = PostgresWaits.UntilBlockedAsync(Database, count);
        await Task.WhenAny(blocked, Task.WhenAll(tasks));
    }
}
