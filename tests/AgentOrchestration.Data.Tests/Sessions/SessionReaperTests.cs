using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Delegation;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentOrchestration.Data.Tests.Sessions;

/// <summary>The reaper: silent sessions fail, their locks go and their work returns to the queue, exactly once however many reapers race; on each provider.</summary>
public sealed class SessionReaperTests(DatabaseProvider provider) : SessionFixture(provider)
{
    private static readonly TimeSpan Timeout = new SessionReaperOptions().Timeout;

    [Test]
    public async Task A_silent_session_is_reaped_and_a_heartbeating_one_is_not()
    {
        var silent = (await StartAsync()).SessionId;
        var alive = (await StartAsync()).SessionId;
        var pausedSilent = (await StartAsync()).SessionId;
        var ended = (await StartAsync()).SessionId;
        await WithSessionsAsync(s => s.PauseAsync(pausedSilent));
        await WithSessionsAsync(s => s.EndAsync(ended, SessionStatus.Completed));

        Clock.Advance(Timeout);
        Assert.That((await ReapAsync()).SessionIds, Is.Empty, "silent for exactly the timeout is not past it");

        Clock.Advance(TimeSpan.FromSeconds(30));
        await WithSessionsAsync(s => s.HeartbeatAsync(alive, "still working"));
        Clock.Advance(TimeSpan.FromSeconds(1));
        var result = await ReapAsync();

        Assert.That(result.SessionIds, Is.EquivalentTo(new[] { silent, pausedSilent }));
        Assert.That(result.SessionsReaped, Is.EqualTo(2));
        await using var check = CreateContext();
        var statuses = await check.AgentSessions.ToDictionaryAsync(s => s.SessionId, s => (s.Status, s.EndTime));
        Assert.That(statuses[silent], Is.EqualTo((SessionStatus.Failed, (DateTimeOffset?)Clock.GetUtcNow())));
        Assert.That(statuses[pausedSilent].Status, Is.EqualTo(SessionStatus.Failed), "a paused session must keep heartbeating too");
        Assert.That(statuses[alive], Is.EqualTo((SessionStatus.Active, (DateTimeOffset?)null)));
        Assert.That(statuses[ended].Status, Is.EqualTo(SessionStatus.Completed));
        var reaped = await check.Events.Where(e => e.Type == OrchestrationEventTypes.SessionReaped).ToListAsync();
        Assert.That(reaped.Select(e => (e.Payload!.SessionId, e.Payload.From, e.Payload.To)),
            Is.EquivalentTo(new (string?, string?, string?)[] { (silent, "active", "failed"), (pausedSilent, "paused", "failed") }));
        Assert.That(reaped, Has.All.Matches<OrchestrationEvent>(e => e.Actor == "reaper" && e.Payload!.Reason!.Contains("no heartbeat since")));

        Assert.That((await ReapAsync()).SessionIds, Is.Empty, "a reaped session is not reaped again");
        Assert.ThrowsAsync<InvalidStateTransitionException>(() => WithSessionsAsync(s => s.HeartbeatAsync(silent)));
    }

    [Test]
    public async Task The_timeout_comes_from_the_call_or_the_options_and_paused_sessions_can_be_spared()
    {
        var paused = (await StartAsync()).SessionId;
        var active = (await StartAsync()).SessionId;
        await WithSessionsAsync(s => s.PauseAsync(paused));
        Clock.Advance(TimeSpan.FromMinutes(1));

        Assert.That((await ReapAsync()).SessionIds, Is.Empty);
        await using (var spare = BuildServices(before: s => s.AddSingleton(new SessionReaperOptions { Timeout = TimeSpan.FromSeconds(30), IncludePaused = false })))
        {
            await using var scope = spare.CreateAsyncScope();
            var reaper = scope.ServiceProvider.GetRequiredService<ISessionReaper>();
            Assert.That((await reaper.ReapAsync()).SessionIds, Is.EqualTo(new[] { active }), "options registered before AddAgentOrchestration are the defaults");
            Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => reaper.ReapAsync(TimeSpan.Zero));
            Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => reaper.ReapAsync(TimeSpan.FromSeconds(-1)));
        }

        Assert.That((await ReapAsync(TimeSpan.FromSeconds(59))).SessionIds, Is.EqualTo(new[] { paused }));
    }

    [Test]
    public async Task A_reaped_session_returns_its_work_at_once_and_its_old_lease_cannot_complete()
    {
        var item = await AddItemAsync();
        var rival = await NewAgentAsync();
        await MarkSeededAsync();

        var key = (await StartAsync(Agent.Id)).SessionId;
        var claimed = await ClaimAsync(Agent.Id);
        Assert.That(claimed?.Lease.WorkItemId, Is.EqualTo(item.Id));
        await using (var db = CreateContext())
        {
            await db.WorkItems.Where(w => w.Id == item.Id).ExecuteUpdateAsync(u => u.SetProperty(w => w.AssignedAgentSession, key));
        }

        await using (var lockScope = Services.CreateAsyncScope())
        {
            await lockScope.ServiceProvider.GetRequiredService<IFileLockService>().AcquireAsync(key, ["src/app.cs"], FileLockType.Exclusive, TimeSpan.FromHours(1));
        }

        Assert.That(await ClaimAsync(rival.Id), Is.Null, "held while the session lives");

        Clock.Advance(Timeout + TimeSpan.FromSeconds(1));
        Assert.That(Clock.GetUtcNow(), Is.LessThan(claimed!.LeaseExpiresAt), "the lease alone would still hold the item");
        var result = await ReapAsync();
        Assert.That(result.SessionIds, Is.EqualTo(new[] { key }));
        Assert.That(result.WorkItemsReturned, Is.EqualTo(new[] { item.Id }));
        Assert.That(result.LocksReleased, Is.EqualTo(1));

        await using (var check = CreateContext())
        {
            var returned = await check.WorkItems.Include(w => w.Assignments).SingleAsync(w => w.Id == item.Id);
            Assert.Multiple(() =>
            {
                Assert.That(returned.DelegationStatus, Is.EqualTo(DelegationStatus.Unassigned));
                Assert.That(returned.Status, Is.EqualTo(WorkItemStatus.Todo));
                Assert.That(returned.AssigneeType, Is.Null);
                Assert.That(returned.AssignedAgentId, Is.Null);
                Assert.That(returned.CurrentAssignmentId, Is.Null);
                Assert.That(returned.AssignedAgentSession, Is.Null, "no longer the reaped session's");
                Assert.That(returned.Assignments.Single().Status, Is.EqualTo(AssignmentStatus.Cancelled));
                Assert.That(returned.Assignments.Single().Notes, Is.EqualTo("reaped"));
                Assert.That(returned.Assignments.Single().LeaseExpiresAt, Is.Null);
                Assert.That(returned.DelegationHistory!.Select(h => h.Action), Is.EqualTo(new[] { "claim", "requeue" }));
                Assert.That(returned.DelegationHistory!.Last().Actor, Is.EqualTo("reaper"));
            });
            Assert.That(await check.FileLocks.CountAsync(), Is.Zero);
            Assert.That((await check.AgentSessions.SingleAsync()).FileLocks, Is.Null.Or.Empty);
            var types = await TestEvents(check).OrderBy(e => e.Sequence).Select(e => e.Type).ToListAsync();
            Assert.That(types, Is.EqualTo(new[] { OrchestrationEventTypes.SessionStarted, OrchestrationEventTypes.WorkItemClaimed, OrchestrationEventTypes.FileLockAcquired, OrchestrationEventTypes.WorkItemRequeued, OrchestrationEventTypes.FileLockReleased, OrchestrationEventTypes.SessionReaped }));
        }

        await using (var lockScope = Services.CreateAsyncScope())
        {
            var locks = lockScope.ServiceProvider.GetRequiredService<IFileLockService>();
            Assert.That(await locks.GetLocksAsync(Project.Id), Is.Empty);
            Assert.ThrowsAsync<SessionNotActiveException>(() => locks.AcquireAsync(key, ["src/app.cs"], FileLockType.Exclusive, TimeSpan.FromHours(1)));
        }

        var second = await ClaimAsync(rival.Id);
        Assert.That(second?.Lease.WorkItemId, Is.EqualTo(item.Id), "another agent claims it at once");
        Assert.That(second!.Lease.FencingToken, Is.EqualTo(claimed.Lease.FencingToken + 1));

        var before = await SnapshotAsync();
        await using var scope = Services.CreateAsyncScope();
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        Assert.ThrowsAsync<LeaseLostException>(() => claimer.CompleteAsync(claimed.Lease));
        Assert.ThrowsAsync<LeaseLostException>(() => claimer.RenewAsync(claimed.Lease));
        Assert.That(await SnapshotAsync(), Is.EqualTo(before), "the old holder changed nothing");
        await claimer.CompleteAsync(second.Lease);
    }

    [Test]
    public async Task An_agent_with_several_live_sessions_loses_only_the_work_linked_to_the_reaped_one()
    {
        var first = (await StartAsync(Agent.Id)).SessionId;
        var second = (await StartAsync(Agent.Id)).SessionId;
        var linkedToFirst = await AddItemAsync();
        var linkedToSecond = await AddItemAsync();
        var unlinked = await AddItemAsync();
        await using (var scope = Services.CreateAsyncScope())
        {
            var claimed = await scope.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimBatchAsync(Agent.Id, Project.Id, 3);
            Assert.That(claimed, Has.Count.EqualTo(3));
        }

        await using (var db = CreateContext())
        {
            await db.WorkItems.Where(w => w.Id == linkedToFirst.Id).ExecuteUpdateAsync(u => u.SetProperty(w => w.AssignedAgentSession, first));
            await db.WorkItems.Where(w => w.Id == linkedToSecond.Id).ExecuteUpdateAsync(u => u.SetProperty(w => w.AssignedAgentSession, second));
        }

        Clock.Advance(Timeout);
        await WithSessionsAsync(s => s.HeartbeatAsync(second));
        Clock.Advance(TimeSpan.FromSeconds(1));
        var result = await ReapAsync();
        Assert.That(result.SessionIds, Is.EqualTo(new[] { first }));
        Assert.That(result.WorkItemsReturned, Is.EqualTo(new[] { linkedToFirst.Id }), "the unlinked item may be the other session's");

        await WithSessionsAsync(s => s.EndAsync(second, SessionStatus.Failed, "crashed"));
        await using var check = CreateContext();
        Assert.That(await check.WorkItems.CountAsync(w => w.DelegationStatus == DelegationStatus.Unassigned), Is.EqualTo(3),
            "once it is the agent's only live session, the unlinked item is its too");
        Assert.That(await check.TaskAssignments.CountAsync(a => a.Status == AssignmentStatus.Cancelled), Is.EqualTo(3));
        Assert.That(unlinked.Id, Is.Not.EqualTo(Guid.Empty));
    }

    [Test]
    public async Task Work_delegated_without_a_lease_stays_and_started_work_counts_time_up_to_the_last_heartbeat()
    {
        var claimedItem = await AddItemAsync();
        var delegatedItem = await AddItemAsync();
        var key = (await StartAsync(Agent.Id)).SessionId;
        await using (var scope = Services.CreateAsyncScope())
        {
            var delegation = scope.ServiceProvider.GetRequiredService<IDelegationService>();
            await delegation.AssignAsync(delegatedItem.Id, Assignee.Agent(Agent.Id));
        }

        var claimed = await ClaimAsync(Agent.Id);
        Assert.That(claimed?.Lease.WorkItemId, Is.EqualTo(claimedItem.Id));
        await using (var scope = Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<IDelegationService>()
                .StartAsync(claimedItem.Id, new DelegationOptions { FencingToken = claimed!.Lease.FencingToken });
        }

        Clock.Advance(TimeSpan.FromMinutes(3));
        await WithSessionsAsync(s => s.HeartbeatAsync(key, "coding"));
        Clock.Advance(Timeout + TimeSpan.FromMinutes(10));
        var result = await ReapAsync();

        Assert.That(result.WorkItemsReturned, Is.EqualTo(new[] { claimedItem.Id }));
        await using var check = CreateContext();
        var requeued = await check.WorkItems.SingleAsync(w => w.Id == claimedItem.Id);
        Assert.That(requeued.ActualHours, Is.EqualTo(0.05m), "three minutes worked up to the last heartbeat, not the silence after it");
        Assert.That(requeued.DelegationHistory!.Select(h => h.Action), Is.EqualTo(new[] { "claim", "start", "requeue" }));

        // Claimed but never started: the claim started the clock, as delegation counts it.
        var second = (await StartAsync(Agent.Id)).SessionId;
        var again = await ClaimAsync(Agent.Id);
        Assert.That(again?.Lease.WorkItemId, Is.EqualTo(claimedItem.Id));
        Clock.Advance(TimeSpan.FromMinutes(3));
        await WithSessionsAsync(s => s.EndAsync(second, SessionStatus.Failed, "crashed"));
        Assert.That(await check.WorkItems.Where(w => w.Id == claimedItem.Id).Select(w => w.ActualHours).SingleAsync(), Is.EqualTo(0.10m));
        var delegated = await check.WorkItems.Include(w => w.CurrentAssignment).SingleAsync(w => w.Id == delegatedItem.Id);
        Assert.That(delegated.DelegationStatus, Is.EqualTo(DelegationStatus.Assigned), "an explicit delegation is not undone by the reaper");
        Assert.That(delegated.CurrentAssignment?.Status, Is.EqualTo(AssignmentStatus.Assigned));
    }

    [Test]
    public async Task Concurrent_reapers_reap_each_session_exactly_once()
    {
        const int sessions = 24;
        const int reapers = 4;
        var agents = new List<AgentProfile>();
        for (var i = 0; i < sessions; i++)
        {
            agents.Add(await NewAgentAsync());
        }

        var keys = new List<string>();
        foreach (var agent in agents)
        {
            await AddItemAsync();
            var key = (await StartAsync(agent.Id)).SessionId;
            Assert.That(await ClaimAsync(agent.Id), Is.Not.Null);
            await AddLocksAsync(key, $"src/{key}.cs", $"tests/{key}.cs");
            keys.Add(key);
        }

        // Each reaper warms up (connection, compiled queries) on a clock where nothing is silent yet, so they really race.
        using var ready = new SemaphoreSlim(0);
        using var gate = new SemaphoreSlim(0);
        var runs = Enumerable.Range(0, reapers).Select(_ => Task.Run(async () =>
        {
            await using var scope = Services.CreateAsyncScope();
            var reaper = scope.ServiceProvider.GetRequiredService<ISessionReaper>();
            Assert.That((await reaper.ReapAsync()).SessionIds, Is.Empty);
            ready.Release();
            await gate.WaitAsync();
            return await reaper.ReapAsync();
        })).ToList();
        for (var i = 0; i < reapers; i++)
        {
            await ready.WaitAsync();
        }

        Clock.Advance(Timeout + TimeSpan.FromSeconds(1));
        gate.Release(reapers);
        var results = await Task.WhenAll(runs);

        var reaped = results.SelectMany(r => r.SessionIds).ToList();
        await TestContext.Out.WriteLineAsync($"{Provider}: sessions reaped per reaper: {string.Join(", ", results.Select(r => r.SessionsReaped))}");
        Assert.That(reaped, Is.EquivalentTo(keys), "every session reaped, none twice");
        Assert.That(results.Sum(r => r.LocksReleased), Is.EqualTo(2 * sessions));
        Assert.That(results.SelectMany(r => r.WorkItemsReturned).Distinct().Count(), Is.EqualTo(results.Sum(r => r.WorkItemsReturned.Count)));
        Assert.That(results.Sum(r => r.WorkItemsReturned.Count), Is.EqualTo(sessions));

        await using var check = CreateContext();
        var events = await check.Events.GroupBy(e => e.Type).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count);
        Assert.That(events[OrchestrationEventTypes.SessionReaped], Is.EqualTo(sessions));
        Assert.That(events[OrchestrationEventTypes.WorkItemRequeued], Is.EqualTo(sessions));
        Assert.That(events[OrchestrationEventTypes.FileLockReleased], Is.EqualTo(2 * sessions));
        var reapedEvents = await check.Events.Where(e => e.Type == OrchestrationEventTypes.SessionReaped).ToListAsync();
        Assert.That(reapedEvents.Select(e => e.Payload!.SessionId), Is.EquivalentTo(keys), "one event per session");
        Assert.That(await check.AgentSessions.CountAsync(s => s.Status != SessionStatus.Failed), Is.Zero);
        Assert.That(await check.FileLocks.CountAsync(), Is.Zero);
        Assert.That(await check.WorkItems.CountAsync(w => w.DelegationStatus != DelegationStatus.Unassigned), Is.Zero);
        Assert.That(await check.TaskAssignments.CountAsync(a => a.Status != AssignmentStatus.Cancelled), Is.Zero);
    }

    [Test]
    public async Task A_heartbeat_racing_the_reaper_either_saves_the_session_or_is_refused()
    {
        const int sessions = 12;
        var keys = new List<string>();
        for (var i = 0; i < sessions; i++)
        {
            keys.Add((await StartAsync()).SessionId);
        }

        using var ready = new SemaphoreSlim(0);
        using var gate = new SemaphoreSlim(0);
        var reaper = Task.Run(async () =>
        {
            await using var scope = Services.CreateAsyncScope();
            var instance = scope.ServiceProvider.GetRequiredService<ISessionReaper>();
            Assert.That((await instance.ReapAsync()).SessionIds, Is.Empty);
            ready.Release();
            await gate.WaitAsync();
            return await instance.ReapAsync();
        });
        var beats = keys.Select(key => Task.Run(async () =>
        {
            await using var scope = Services.CreateAsyncScope();
            var instance = scope.ServiceProvider.GetRequiredService<ISessionService>();
            Assert.That(await instance.GetAsync(key), Is.Not.Null);
            ready.Release();
            await gate.WaitAsync();
            try
            {
                await instance.HeartbeatAsync(key, "racing");
                return true;
            }
            catch (InvalidStateTransitionException refused) when (refused.Current == "failed")
            {
                return false;
            }
        })).ToList();
        for (var i = 0; i < sessions + 1; i++)
        {
            await ready.WaitAsync();
        }

        Clock.Advance(Timeout + TimeSpan.FromSeconds(1));
        gate.Release(sessions + 1);
        var reaped = (await reaper).SessionIds.ToHashSet();
        var saved = await Task.WhenAll(beats);
        await TestContext.Out.WriteLineAsync($"{Provider}: heartbeats that won: {saved.Count(s => s)}, sessions reaped: {reaped.Count}");

        await using var check = CreateContext();
        var statuses = await check.AgentSessions.ToDictionaryAsync(s => s.SessionId, s => s.Status);
        for (var i = 0; i < sessions; i++)
        {
            Assert.That(statuses[keys[i]], Is.EqualTo(saved[i] ? SessionStatus.Active : SessionStatus.Failed), keys[i]);
            Assert.That(reaped.Contains(keys[i]), Is.EqualTo(!saved[i]), keys[i]);
        }

        Assert.That(await check.Events.CountAsync(e => e.Type == OrchestrationEventTypes.SessionReaped), Is.EqualTo(reaped.Count));
    }

    [Test]
    public async Task The_background_service_reaps_as_the_clock_advances_and_stops_cleanly()
    {
        var interval = TimeSpan.FromSeconds(30);
        await using var host = BuildServices(configure: o => o.AddSessionReaper(r =>
        {
            r.Timeout = TimeSpan.FromMinutes(1);
            r.Interval = interval;
        }));
        var service = host.GetServices<IHostedService>().Single();
        var key = (await StartAsync()).SessionId;
        var alive = (await StartAsync()).SessionId;

        await service.StartAsync(CancellationToken.None);
        try
        {
            var status = SessionStatus.Active;
            for (var i = 0; i < 200 && status == SessionStatus.Active; i++)
            {
                Clock.Advance(interval / 3);
                await WithSessionsAsync(s => s.HeartbeatAsync(alive));
                await Task.Delay(25);
                status = (await WithSessionsAsync(s => s.GetAsync(key)))!.Status;
            }

            Assert.That(status, Is.EqualTo(SessionStatus.Failed));
            Assert.That((await WithSessionsAsync(s => s.GetAsync(alive)))!.Status, Is.EqualTo(SessionStatus.Active));
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }

        await using var check = CreateContext();
        Assert.That(await check.Events.CountAsync(e => e.Type == OrchestrationEventTypes.SessionReaped), Is.EqualTo(1));
    }

    [Test]
    public async Task The_background_service_survives_failing_runs()
    {
        var failing = new FailingReaper();
        var errors = new List<Exception>();
        await using var host = BuildServices(
            before: s => s.AddScoped<ISessionReaper>(_ => failing),
            configure: o => o.AddSessionReaper(r =>
            {
                r.Interval = TimeSpan.FromSeconds(10);
                r.OnError = e =>
                {
                    lock (errors)
                    {
                        errors.Add(e);
                    }

                    throw new InvalidOperationException("a faulty error callback must not end the loop either");
                };
            }));
        var service = host.GetServices<IHostedService>().Single();

        await service.StartAsync(CancellationToken.None);
        for (var i = 0; i < 200 && Volatile.Read(ref failing.Calls) < 3; i++)
        {
            Clock.Advance(TimeSpan.FromSeconds(10));
            await Task.Delay(25);
        }

        await service.StopAsync(CancellationToken.None);
        Assert.That(Volatile.Read(ref failing.Calls), Is.GreaterThanOrEqualTo(3), "the loop went on after failures");
        lock (errors)
        {
            Assert.That(errors, Has.Count.GreaterThanOrEqualTo(2));
            Assert.That(errors, Has.All.InstanceOf<TimeoutException>());
        }
    }

    [Test]
    public void The_background_options_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BuildServices(configure: o => o.AddSessionReaper(r => r.Timeout = TimeSpan.Zero)).Dispose());
        Assert.Throws<ArgumentOutOfRangeException>(() => BuildServices(configure: o => o.AddSessionReaper(r => r.Interval = TimeSpan.FromSeconds(-1))).Dispose());
        using var plain = BuildServices();
        Assert.That(plain.GetServices<IHostedService>(), Is.Empty, "the background reaper is opt-in");
    }

    private sealed class FailingReaper : ISessionReaper
    {
        public int Calls;

        public Task<SessionReapResult> ReapAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Calls);
            throw new TimeoutException("the database is down");
        }
    }
}
