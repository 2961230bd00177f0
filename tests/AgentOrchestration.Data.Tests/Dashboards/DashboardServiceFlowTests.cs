using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Dashboards;
using AgentOrchestration.Data.Delegation;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Sprints;
using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Dashboards;

/// <summary>
/// The dashboards read what the library's own services write: a fresh project next to the seeded world, worked through
/// claims, delegation, sessions and locks, and the snapshot of it as the clock moves on.
/// </summary>
public sealed class DashboardServiceFlowTests(DatabaseProvider provider) : DashboardFixture(provider)
{
    private async Task<T> WithAsync<TService, T>(Func<TService, Task<T>> action)
        where TService : notnull
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<TService>());
    }

    [Test]
    public async Task Dashboards_follow_claims_delegation_sessions_and_locks()
    {
        var fake = Fakes.Factory;
        var project = await WithAsync<IWorkItemService, Project>(w => w.CreateProjectAsync(fake.Project()));
        var sprint = await WithAsync<ISprintService, Sprint>(s => s.PlanAsync(fake.Sprint(project.Id)));
        Task<AgentProfile> Register(string slug) => WithAsync<IAgentRegistry, AgentProfile>(r => r.RegisterAsync(fake.Agent(a =>
        {
            a.Name = slug;
            a.Slug = slug;
            a.Capabilities = [new CapabilityEntry { Name = "csharp", Proficiency = 4 }];
            a.MaxConcurrentTasks = 5;
        })));
        var alpha = await Register("flow-alpha");
        var beta = await Register("flow-beta");

        var hours = new[] { 3m, 5.5m, 8.25m, 13m };
        var tasks = new List<WorkItem>();
        for (var i = 0; i < hours.Length; i++)
        {
            var estimate = hours[i];
            var priority = i + 1;
            tasks.Add(await WithAsync<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(fake.Task(project.Id, configure: t =>
            {
                t.SprintId = sprint.Id;
                t.Priority = priority;
                t.EstimatedHours = estimate;
                t.RequiredCapabilities = ["csharp"];
            }))));
        }

        // Alpha claims the two most urgent tasks under 5-minute leases; beta is handed the fourth, starts it and is blocked.
        var claims = new List<ClaimedWork>();
        for (var i = 0; i < 2; i++)
        {
            claims.Add((await WithAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(alpha.Id, project.Id)))!);
        }

        Assert.That(claims.Select(c => c.Lease.WorkItemId), Is.EqualTo(tasks.Take(2).Select(t => t.Id)));
        await WithAsync<IDelegationService, WorkItem>(d => d.AssignAsync(tasks[3].Id, Assignee.Agent(beta.Id)));
        await WithAsync<IDelegationService, WorkItem>(d => d.StartAsync(tasks[3].Id));
        await WithAsync<IDelegationService, WorkItem>(d => d.BlockAsync(tasks[3].Id, "waiting for the schema"));

        var session = await WithAsync<ISessionService, AgentSession>(s => s.StartAsync(fake.Session(project.Id, alpha.Id) with { CurrentAction = "reading" }));
        Clock.Advance(TimeSpan.FromSeconds(20));
        await WithAsync<ISessionService, AgentSession>(s => s.HeartbeatAsync(session.SessionId, "writing tests"));
        await WithAsync<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.AcquireAsync(session.SessionId, ["src/app.cs", "src/lib/**"], FileLockType.Exclusive, TimeSpan.FromMinutes(10)));
        Clock.Advance(TimeSpan.FromSeconds(40));

        var (snapshot, commands) = await QueryAsync(d => d.GetSnapshotAsync(project.Id, TimeSpan.FromHours(6), sprint.Id));
        Assert.That(commands, Has.Count.EqualTo(6), "one command per part");
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.TakenAt, Is.EqualTo(Now));
            Assert.That(snapshot.AgentWorkload, Is.EqualTo(new[]
            {
                new AgentWorkload(alpha.Id, "flow-alpha", "flow-alpha", AgentStatus.Active, 5, 2, 3m + 5.5m, 0m),
                new AgentWorkload(beta.Id, "flow-beta", "flow-beta", AgentStatus.Active, 5, 1, 13m, 0m),
            }));
            Assert.That(snapshot.WorkByStatus.Select(w => (w.Status, w.DelegationStatus, w.Count, w.EstimatedHours)), Is.EquivalentTo(new[]
            {
                (WorkItemStatus.Todo, DelegationStatus.Assigned, 2, 8.5m),
                (WorkItemStatus.Todo, DelegationStatus.Unassigned, 1, 8.25m),
                (WorkItemStatus.Blocked, DelegationStatus.Blocked, 1, 13m),
            }));
            var live = snapshot.ActiveSessions.Single();
            Assert.That((live.SessionId, live.AgentSlug, live.CurrentAction, live.HeartbeatAge), Is.EqualTo((session.SessionId, "flow-alpha", "writing tests", TimeSpan.FromSeconds(40))));
            Assert.That(live.Locks.Select(l => (l.FilePath, l.LockType, l.ExpiresAt)), Is.EqualTo(new[]
            {
                ("src/app.cs", FileLockType.Exclusive, (DateTimeOffset?)(Now - TimeSpan.FromSeconds(40) + TimeSpan.FromMinutes(10))),
                ("src/lib/**", FileLockType.Exclusive, (DateTimeOffset?)(Now - TimeSpan.FromSeconds(40) + TimeSpan.FromMinutes(10))),
            }));
            Assert.That(snapshot.BlockedAndStaleWork.Select(w => (w.Id, w.IsBlocked, w.IsStale, w.AssignedAgentSlug)), Is.EqualTo(new[] { (tasks[3].Id, true, false, (string?)"flow-beta") }));
            Assert.That(snapshot.QaPassRates.Sum(q => q.Total), Is.Zero);
        });

        await using (var db = CreateContext())
        {
            var expectedEvents = await db.Events.Where(e => e.ProjectId == project.Id).OrderByDescending(e => e.Sequence).Select(e => new { e.Sequence, e.Type }).Take(50).ToListAsync();
            Assert.That(snapshot.RecentEvents.Select(e => new { e.Sequence, e.Type }), Is.EqualTo(expectedEvents));
            Assert.That(snapshot.RecentEvents.Select(e => e.Type), Does.Contain(OrchestrationEventTypes.WorkItemClaimed));
        }

        // Six minutes on, alpha's leases have run out (the heartbeat renews claims, but alpha stopped sending them) while
        // beta's lease-less delegation stays; after six hours the claimed, untouched items are stale too.
        Clock.Advance(TimeSpan.FromMinutes(6));
        var later = await OneCommandAsync(d => d.GetAgentWorkloadAsync(project.Id, sprint.Id));
        Assert.That(later.Select(w => (w.Slug, w.ActiveAssignments)), Is.EqualTo(new[] { ("flow-beta", 1) }));
        var sessions = await OneCommandAsync(d => d.GetActiveSessionsAsync(project.Id));
        Assert.That(sessions.Single().HeartbeatAge, Is.EqualTo(TimeSpan.FromSeconds(40) + TimeSpan.FromMinutes(6)));

        Clock.Advance(TimeSpan.FromHours(6));
        var stalled = await OneCommandAsync(d => d.GetBlockedAndStaleWorkAsync(project.Id, TimeSpan.FromHours(6)));
        var afterHours = (await OneCommandAsync(d => d.GetActiveSessionsAsync(project.Id))).Single();
        Assert.Multiple(() =>
        {
            Assert.That(stalled.Select(w => w.Id), Is.EquivalentTo(new[] { tasks[0].Id, tasks[1].Id, tasks[3].Id }));
            Assert.That(stalled.Select(w => w.IsStale), Is.All.True);
            Assert.That(stalled.Select(w => w.IsBlocked), Is.EqualTo(stalled.Select(w => w.Id == tasks[3].Id)));
            Assert.That(afterHours.Locks, Is.Empty, "the locks' ten minutes are over");
        });
    }
}
