using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Delegation;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Qa;

/// <summary>
/// A migrated database with a project, an implementing agent and a reviewing agent, the library with the default QA
/// policy on a fake clock, and helpers to claim with a session, record results and complete.
/// </summary>
public abstract class QaFixture(DatabaseProvider provider) : OrchestrationFixture(provider)
{
    protected Project Project { get; private set; } = null!;

    protected AgentProfile Coder { get; private set; } = null!;

    protected AgentProfile Reviewer { get; private set; } = null!;

    [SetUp]
    public async Task SeedAsync()
    {
        Project = await CreateProjectAsync();
        Coder = await RegisterAgentAsync(50);
        Reviewer = await RegisterAgentAsync(50);
        await MarkSeededAsync();
    }

    /// <summary>Replaces the services with ones configured by <paramref name="configure"/> (for example a QA policy).</summary>
    protected async Task UseServicesAsync(Action<AgentOrchestrationBuilder> configure)
    {
        await Services.DisposeAsync();
        Services = OrchestrationServices.Create(Database, Clock, configure);
    }

    protected Task<T> WithAsync<TService, T>(Func<TService, Task<T>> action)
        where TService : notnull => UseAsync(action);

    protected Task<T> Qa<T>(Func<IQaService, Task<T>> action) => WithAsync(action);

    protected Task<WorkItem> Delegate(Func<IDelegationService, Task<WorkItem>> action) => WithAsync(action);

    protected Task<AgentSession> StartSessionAsync(Guid? agentId, OversightLevel level = OversightLevel.Standard, SessionAgentType type = SessionAgentType.Implementation, Guid? projectId = null) =>
        UseAsync<ISessionService, AgentSession>(s => s.StartAsync(Faker.Session(projectId ?? Project.Id, agentId, type) with { OversightLevel = level }));

    /// <summary>Adds a work item of the project, one fake millisecond after the previous one.</summary>
    protected async Task<WorkItem> AddTaskAsync(WorkItemType type = WorkItemType.Task, int priority = 3)
    {
        var item = await CreateWorkAsync(Project, type, w => w.Priority = priority);
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        return item;
    }

    /// <summary>Claims with a lease long enough for the fake hours a test lets pass during QA.</summary>
    protected Task<ClaimedWork?> ClaimAsync(Guid agentId, string? sessionId) =>
        WithAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(agentId, Project.Id, new ClaimOptions { SessionId = sessionId, LeaseDuration = TimeSpan.FromHours(12) }));

    protected Task CompleteAsync(WorkLease lease) =>
        WithAsync<IWorkClaimer, bool>(async c =>
        {
            await c.CompleteAsync(lease);
            return true;
        });

    protected Task<QaResult> RecordAsync(Guid taskId, string sessionId, QaType type, QaResultStatus status, string? remediation = null, bool? met = null) =>
        Qa(q => q.RecordResultAsync(new NewQaResult(taskId, sessionId, type, status) { RemediationNeeded = remediation, SuccessCriteriaMet = met }));

    protected Task<QaState> StateAsync(Guid taskId) => Qa(q => q.GetStateAsync(taskId));

    protected async Task<WorkItem> ItemAsync(Guid id)
    {
        await using var db = CreateContext();
        return await db.WorkItems.AsNoTracking().SingleAsync(w => w.Id == id);
    }

    protected async Task<List<OrchestrationEvent>> EventsAsync(string typePrefix)
    {
        await using var db = CreateContext();
        return await db.Events.AsNoTracking().Where(e => e.Type.StartsWith(typePrefix)).OrderBy(e => e.Sequence).ToListAsync();
    }

    /// <summary>Every row a refused call could have touched, to compare before and after.</summary>
    protected async Task<string> SnapshotAsync()
    {
        await using var db = CreateContext();
        var items = (await db.WorkItems.AsNoTracking().OrderBy(w => w.Id).ToListAsync()).Select(w => new
        {
            w.Id, w.Status, w.DelegationStatus, w.QaStatus, w.SuccessCriteriaMet, w.AssignedAgentSession, w.CurrentAssignmentId, w.ActualHours, w.UpdatedAt,
            History = w.DelegationHistory?.Count,
        }).ToList();
        var assignments = await db.TaskAssignments.AsNoTracking().OrderBy(a => a.Id).Select(a => new { a.Id, a.Status, a.LeaseExpiresAt, a.CompletedAt }).ToListAsync();
        var sessions = await db.AgentSessions.AsNoTracking().OrderBy(s => s.Id).Select(s => new { s.SessionId, s.Status, s.TaskId }).ToListAsync();
        return string.Join("\n",
            string.Join(";", items),
            string.Join(";", assignments),
            string.Join(";", sessions),
            $"results={await db.QaResults.CountAsync()} events={await db.Events.CountAsync()}");
    }
}
