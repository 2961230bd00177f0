using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Sessions;

/// <summary>A migrated database with one project and one agent, the library's services on a fake clock, and helpers for sessions and claims.</summary>
public abstract class SessionFixture(DatabaseProvider provider) : OrchestrationFixture(provider)
{
    protected Project Project { get; private set; } = null!;

    protected AgentProfile Agent { get; private set; } = null!;

    [SetUp]
    public async Task SeedAsync()
    {
        Project = await CreateProjectAsync();
        Agent = await NewAgentAsync();
        await MarkSeededAsync();
    }

    protected override ServiceProvider BuildServices() => BuildServices(null);

    /// <summary>
    /// The library as a host registers it, with extra registrations before and after <c>AddAgentOrchestration</c>. Sessions
    /// are tested without the QA gate (see <see cref="OrchestrationServices.WithoutQaGate"/>).
    /// </summary>
    protected ServiceProvider BuildServices(Action<IServiceCollection>? before = null, Action<AgentOrchestrationBuilder>? configure = null) =>
        OrchestrationServices.Create(Database, Clock, o =>
        {
            OrchestrationServices.WithoutQaGate(o);
            configure?.Invoke(o);
        }, before);

    /// <summary>Registers another agent like <see cref="Agent"/>: the one capability and room for ten tasks.</summary>
    protected Task<AgentProfile> NewAgentAsync() => RegisterAgentAsync(10);

    protected Task<T> WithSessionsAsync<T>(Func<ISessionService, Task<T>> action) => UseAsync(action);

    protected Task<AgentSession> StartAsync(Guid? agentId = null, string? sessionId = null) =>
        WithSessionsAsync(s => s.StartAsync(new SessionStart(Project.Id, SessionAgentType.Implementation) { SessionId = sessionId, AgentId = agentId }));

    protected async Task<SessionReapResult> ReapAsync(TimeSpan? timeout = null)
    {
        await using var scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ISessionReaper>().ReapAsync(timeout);
    }

    protected async Task<ClaimedWork?> ClaimAsync(Guid agentId)
    {
        await using var scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimNextAsync(agentId, Project.Id);
    }

    protected Task<WorkItem> AddItemAsync(WorkItemType type = WorkItemType.Task, Project? project = null) => CreateWorkAsync(project ?? Project, type);

    /// <summary>Inserts file locks for a session directly (the lock service is not needed to set them up), listing them on the session too.</summary>
    protected async Task AddLocksAsync(string sessionId, params string[] paths)
    {
        await using var db = CreateContext();
        var session = await db.AgentSessions.SingleAsync(s => s.SessionId == sessionId);
        session.FileLocks ??= [];
        foreach (var path in paths)
        {
            db.FileLocks.Add(new FileLock
            {
                ProjectId = session.ProjectId,
                FilePath = path,
                LockedBySession = sessionId,
                LockType = FileLockType.Exclusive,
                AcquiredAt = Clock.GetUtcNow(),
                ExpiresAt = Clock.GetUtcNow() + TimeSpan.FromHours(1),
            });
            session.FileLocks.Add(new SessionFileLock { Path = path, LockType = FileLockType.Exclusive, ExpiresAt = Clock.GetUtcNow() + TimeSpan.FromHours(1) });
        }

        await db.SaveChangesAsync();
    }

    /// <summary>Every row a refused call could have touched, to compare before and after.</summary>
    protected async Task<string> SnapshotAsync()
    {
        await using var db = CreateContext();
        var sessions = (await db.AgentSessions.AsNoTracking().OrderBy(s => s.Id).ToListAsync())
            .Select(s => new { s.SessionId, s.Status, s.CurrentAction, s.LastHeartbeatAt, s.EndTime, Locks = s.FileLocks?.Count }).ToList();
        var items = await db.WorkItems.AsNoTracking().OrderBy(w => w.Id)
            .Select(w => new { w.Id, w.Status, w.DelegationStatus, w.CurrentAssignmentId, w.AssignedAgentSession, w.UpdatedAt }).ToListAsync();
        var assignments = await db.TaskAssignments.AsNoTracking().OrderBy(a => a.Id).Select(a => new { a.Id, a.Status, a.LeaseExpiresAt }).ToListAsync();
        return string.Join("\n",
            string.Join(";", sessions),
            string.Join(";", items),
            string.Join(";", assignments),
            $"locks={await db.FileLocks.CountAsync()} events={await db.Events.CountAsync()}");
    }
}
