using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Dashboards;
using AgentOrchestration.Data.Delegation;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Validation;

/// <summary>
/// Project isolation: a session, agent or lease of one project cannot see, claim, lock, release, complete, renew or
/// review another project's work, and within a project an agent cannot release another session's lock or complete
/// another's assignment. Every refused call leaves the database byte-for-byte as it was.
/// </summary>
public sealed class IsolationTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private ServiceProvider services = null!;
    private OrchestrationFaker faker = null!;

    protected override bool StartsMigrated => true;

    [SetUp]
    public async Task CreateServicesAsync()
    {
        await (await MigratedContextAsync()).DisposeAsync();
        services = OrchestrationServices.Create(Database, configure: OrchestrationServices.WithoutQaGate);
        faker = new OrchestrationFaker(20261302);
    }

    [TearDown]
    public async Task DisposeServicesAsync() => await services.DisposeAsync();

    [Test]
    public async Task A_projects_reads_show_none_of_another_projects_work_sessions_locks_or_events()
    {
        var a = await ProjectAsync();
        var b = await ProjectAsync();
        var agent = await AgentAsync();
        var taskA = await TaskAsync(a, priority: 5);
        var taskB = await TaskAsync(b, priority: 1);
        var sessionA = await SessionAsync(a, agent);
        var sessionB = await SessionAsync(b, agent);
        await Use<IFileLockService>(l => l.AcquireAsync(sessionA, ["src/a.cs"], FileLockType.Exclusive, TimeSpan.FromMinutes(10)));
        await Use<IFileLockService>(l => l.AcquireAsync(sessionB, ["src/b.cs"], FileLockType.Exclusive, TimeSpan.FromMinutes(10)));

        var ready = await Use<IWorkItemService, IReadOnlyList<WorkItem>>(w => w.GetReadyWorkAsync(a.Id));
        var locks = await Use<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.GetLocksAsync(a.Id));
        var live = await Use<IOrchestrationDashboard, IReadOnlyList<LiveSession>>(d => d.GetActiveSessionsAsync(a.Id));
        var events = await Use<IEventLog, IReadOnlyList<OrchestrationEvent>>(e => e.ReadAsync(0, 1000, a.Id));
        Assert.Multiple(() =>
        {
            Assert.That(ready.Select(w => w.Id), Is.EqualTo(new[] { taskA.Id }), "B's higher-priority task is not A's ready work");
            Assert.That(locks.Select(l => l.Path), Is.EqualTo(new[] { "src/a.cs" }));
            Assert.That(live.Select(s => s.SessionId), Is.EqualTo(new[] { sessionA }));
            Assert.That(events.Select(e => e.ProjectId).Distinct(), Is.EqualTo(new Guid?[] { a.Id }));
            Assert.That(events.Select(e => e.EntityId), Has.None.EqualTo(taskB.Id));
        });
    }

    [Test]
    public async Task A_claim_in_one_project_never_takes_another_projects_work_nor_claims_with_another_projects_session()
    {
        var a = await ProjectAsync();
        var b = await ProjectAsync();
        var agent = await AgentAsync();
        await TaskAsync(b, priority: 1);
        var sessionA = await SessionAsync(a, agent);

        Assert.That(await Use<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(agent.Id, a.Id)), Is.Null, "A has no work; B's is not A's");
        var before = await DumpAsync();
        Assert.ThrowsAsync<ProjectIsolationException>(() => Use<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(agent.Id, b.Id, new ClaimOptions { SessionId = sessionA })));
        Assert.ThrowsAsync<ProjectIsolationException>(() => Use<IWorkClaimer, IReadOnlyList<ClaimedWork>>(c => c.ClaimBatchAsync(agent.Id, b.Id, 5, new ClaimOptions { SessionId = sessionA })));
        Assert.That(await DumpAsync(), Is.EqualTo(before), "nothing was claimed in B");
    }

    [Test]
    public async Task A_lease_of_one_project_cannot_renew_release_or_complete_another_projects_item()
    {
        var a = await ProjectAsync();
        var b = await ProjectAsync();
        var agentA = await AgentAsync();
        var agentB = await AgentAsync();
        await TaskAsync(a);
        var itemB = await TaskAsync(b);
        var mine = (await Use<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(agentA.Id, a.Id)))!;
        var theirs = (await Use<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(agentB.Id, b.Id)))!;
        Assert.That(theirs.Lease.WorkItemId, Is.EqualTo(itemB.Id));

        var before = await DumpAsync();
        foreach (var forged in new[]
        {
            mine.Lease with { WorkItemId = itemB.Id },
            theirs.Lease with { AssignmentId = mine.Lease.AssignmentId },
        })
        {
            Assert.ThrowsAsync<LeaseLostException>(() => Use<IWorkClaimer, ClaimedWork>(c => c.RenewAsync(forged)));
            Assert.ThrowsAsync<LeaseLostException>(() => Use<IWorkClaimer>(c => c.ReleaseAsync(forged)));
            Assert.ThrowsAsync<LeaseLostException>(() => Use<IWorkClaimer>(c => c.CompleteAsync(forged)));
        }

        Assert.That(await DumpAsync(), Is.EqualTo(before), "B's item is still held by B's agent, unchanged");
        await Use<IWorkClaimer>(c => c.CompleteAsync(theirs.Lease));
        await Use<IWorkClaimer>(c => c.CompleteAsync(mine.Lease));
    }

    [Test]
    public async Task An_agent_cannot_complete_release_or_renew_another_agents_assignment_in_the_same_project()
    {
        var a = await ProjectAsync();
        var holder = await AgentAsync();
        var other = await AgentAsync();
        await TaskAsync(a);
        await TaskAsync(a);
        var held = (await Use<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(holder.Id, a.Id)))!;
        var own = (await Use<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(other.Id, a.Id)))!;

        // The other agent knows the holder's item and token (tokens are small counters) but presents its own assignment.
        var forged = held.Lease with { AssignmentId = own.Lease.AssignmentId };
        var before = await DumpAsync();
        Assert.ThrowsAsync<LeaseLostException>(() => Use<IWorkClaimer>(c => c.CompleteAsync(forged)));
        Assert.ThrowsAsync<LeaseLostException>(() => Use<IWorkClaimer>(c => c.ReleaseAsync(forged)));
        Assert.ThrowsAsync<LeaseLostException>(() => Use<IWorkClaimer, ClaimedWork>(c => c.RenewAsync(forged)));
        Assert.That(await DumpAsync(), Is.EqualTo(before));

        await Use<IWorkClaimer>(c => c.CompleteAsync(held.Lease));
        await using var db = CreateContext();
        var assignment = await db.TaskAssignments.AsNoTracking().SingleAsync(t => t.Id == held.Lease.AssignmentId);
        Assert.That((assignment.AgentId, assignment.Status), Is.EqualTo((holder.Id, AssignmentStatus.Completed)), "completed by its holder");
    }

    [Test]
    public async Task A_session_cannot_release_another_sessions_lock_nor_lock_over_it_and_another_projects_locks_are_separate()
    {
        var a = await ProjectAsync();
        var b = await ProjectAsync();
        var holder = await SessionAsync(a, await AgentAsync());
        var other = await SessionAsync(a, await AgentAsync());
        var elsewhere = await SessionAsync(b, await AgentAsync());
        await Use<IFileLockService>(l => l.AcquireAsync(holder, ["src/app.cs"], FileLockType.Exclusive, TimeSpan.FromMinutes(10)));

        // The releasing session may rewrite its own (empty) lock list; the holder's locks, its session row and the log stay as they were.
        var before = await HolderStateAsync(holder);
        Assert.That(await Use<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.ReleaseAsync(other, ["src/app.cs"])), Is.Empty);
        Assert.That(await Use<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.ReleaseAllAsync(other)), Is.Empty);
        Assert.ThrowsAsync<FileLockConflictException>(() => Use<IFileLockService>(l => l.AcquireAsync(other, ["src/**"], FileLockType.Shared, TimeSpan.FromMinutes(10))));
        var check = await Use<IFileLockService, FileWriteCheck>(l => l.CheckWriteAsync(other, ["src/app.cs"]));
        Assert.That(check.AllWritable, Is.False);
        Assert.That(await HolderStateAsync(holder), Is.EqualTo(before), "the holder's lock is untouched");

        // Project B's session locks the same path in its own project: locks never cross projects, so neither blocks the other.
        var taken = await Use<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.AcquireAsync(elsewhere, ["src/app.cs"], FileLockType.Exclusive, TimeSpan.FromMinutes(10)));
        Assert.That(taken.Single().ProjectId, Is.EqualTo(b.Id));
        Assert.That(await Use<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.ReleaseAsync(elsewhere, ["src/app.cs"])), Has.Count.EqualTo(1));
        var locksA = await Use<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.GetLocksAsync(a.Id));
        Assert.That(locksA.Select(l => (l.SessionId, l.Path)), Is.EqualTo(new[] { (holder, "src/app.cs") }));
    }

    [Test]
    public async Task A_session_of_one_project_cannot_review_start_qa_on_or_be_handed_another_projects_work()
    {
        var a = await ProjectAsync();
        var b = await ProjectAsync();
        var agent = await AgentAsync();
        var taskB = await TaskAsync(b);
        var reviewerA = await SessionAsync(a, null, SessionAgentType.Qa);
        var sessionA = await SessionAsync(a, agent);

        var before = await DumpAsync();
        Assert.ThrowsAsync<ProjectIsolationException>(() => Use<IQaService, QaResult>(q => q.RecordResultAsync(faker.QaResult(taskB.Id, reviewerA))));
        Assert.ThrowsAsync<ProjectIsolationException>(() => Use<IQaService, WorkItem>(q => q.StartQaAsync(taskB.Id, reviewerA)));
        Assert.ThrowsAsync<ProjectIsolationException>(() => Use<IDelegationService, WorkItem>(d => d.AssignAsync(taskB.Id, Assignee.Agent(agent.Id), new DelegationOptions { SessionId = sessionA })));
        Assert.ThrowsAsync<ProjectIsolationException>(() => Use<ISessionService, AgentSession>(s => s.StartAsync(faker.Session(a.Id, agent.Id) with { TaskId = taskB.Id })));
        Assert.That(await DumpAsync(), Is.EqualTo(before));
    }

    private async Task<Project> ProjectAsync() => await Use<IWorkItemService, Project>(w => w.CreateProjectAsync(faker.Project()));

    private async Task<AgentProfile> AgentAsync() => await Use<IAgentRegistry, AgentProfile>(r => r.RegisterAsync(faker.Agent(x =>
    {
        x.Capabilities = [.. OrchestrationFaker.Capabilities.Select(c => new CapabilityEntry { Name = c, Proficiency = 3 })];
        x.MaxConcurrentTasks = 5;
    })));

    private async Task<WorkItem> TaskAsync(Project project, int priority = 3) =>
        await Use<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(faker.Task(project.Id, configure: i => i.Priority = priority)));

    private async Task<string> SessionAsync(Project project, AgentProfile? agent, SessionAgentType type = SessionAgentType.Implementation) =>
        (await Use<ISessionService, AgentSession>(s => s.StartAsync(faker.Session(project.Id, agent?.Id, type)))).SessionId;

    private async Task Use<TService>(Func<TService, Task> call)
        where TService : notnull
    {
        await using var scope = services.CreateAsyncScope();
        await call(scope.ServiceProvider.GetRequiredService<TService>());
    }

    private async Task<TResult> Use<TService, TResult>(Func<TService, Task<TResult>> call)
        where TService : notnull
    {
        await using var scope = services.CreateAsyncScope();
        return await call(scope.ServiceProvider.GetRequiredService<TService>());
    }

    private async Task<string> HolderStateAsync(string holder)
    {
        await using var db = CreateContext();
        var session = await db.AgentSessions.AsNoTracking().SingleAsync(s => s.SessionId == holder);
        return await DatabaseDump.AllRowsAsync(db, "file_locks", "orchestration_events")
            + string.Join(";", session.FileLocks!.Select(l => $"{l.Path} {l.LockType} {l.ExpiresAt:O}")) + $" {session.Status} {session.LastHeartbeatAt:O}";
    }

    private async Task<string> DumpAsync()
    {
        await using var db = CreateContext();
        return await DatabaseDump.AllRowsAsync(db);
    }
}
