using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Backlog;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Migrations;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Sprints;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.WebDashboard;

/// <summary>
/// A project with something in every part of the page, made through the library as agents would: agents, a started
/// sprint, tasks (one titled like an XSS attack), a claimed task with a session, a file lock, a failed review with
/// findings and a mock violation, and a backlog item.
/// </summary>
public sealed class DashboardSeed : IAsyncDisposable
{
    public const string XssTitle = "<script>alert(1)</script>";
    public const string LockedPath = "src/Api/Claims.cs";

    private DashboardSeed(ServiceProvider services) => Services = services;

    public ServiceProvider Services { get; }

    public Project Project { get; private set; } = null!;

    public AgentProfile Coder { get; private set; } = null!;

    public AgentProfile Reviewer { get; private set; } = null!;

    public AgentSession CoderSession { get; private set; } = null!;

    /// <summary>The task left ready: the next claim takes it.</summary>
    public WorkItem Ready { get; private set; } = null!;

    public WorkItem Xss { get; private set; } = null!;

    public static async Task<DashboardSeed> CreateAsync(TestDatabase database)
    {
        var seed = new DashboardSeed(OrchestrationServices.Create(database));
        await seed.With<IAgentOrchestrationMigrator>(m => m.MigrateAsync());
        await seed.FillAsync();
        return seed;
    }

    public async Task<T> With<TService, T>(Func<TService, Task<T>> use)
        where TService : notnull
    {
        await using var scope = Services.CreateAsyncScope();
        return await use(scope.ServiceProvider.GetRequiredService<TService>());
    }

    public async Task With<TService>(Func<TService, Task> use)
        where TService : notnull
    {
        await using var scope = Services.CreateAsyncScope();
        await use(scope.ServiceProvider.GetRequiredService<TService>());
    }

    /// <summary>Creates one more task in the project (one <c>work_item.created</c> event).</summary>
    public Task<WorkItem> AddTaskAsync(string title, int priority = 3) => With<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(new NewWorkItem
    {
        ProjectId = Project.Id, Type = WorkItemType.Task, Title = title, Priority = priority, EstimatedHours = 1,
    }));

    public ValueTask DisposeAsync() => Services.DisposeAsync();

    private Task<AgentProfile> RegisterAsync(string slug, string type) => With<IAgentRegistry, AgentProfile>(r => r.RegisterAsync(new AgentRegistration
    {
        Name = $"{slug} ({type})", Slug = slug, Type = type, Mode = "implementation", MaxConcurrentTasks = 3,
    }));

    private async Task FillAsync()
    {
        Project = await With<IWorkItemService, Project>(w => w.CreateProjectAsync("web", "Web dashboard test"));
        Coder = await RegisterAsync("coder-1", "backend-engineer");
        Reviewer = await RegisterAsync("reviewer-1", "qa-engineer");
        await RegisterAsync("idle-1", "frontend-engineer");
        var sprint = await With<ISprintService, Sprint>(s => s.PlanAsync(new SprintPlan(Project.Id, "Sprint A") { Goal = "Ship the board" }));
        await With<ISprintService, Sprint>(s => s.StartAsync(sprint.Id));

        Task<WorkItem> Task(string title, int priority, decimal hours) => With<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(new NewWorkItem
        {
            ProjectId = Project.Id, SprintId = sprint.Id, Type = WorkItemType.Task, Title = title, Priority = priority, EstimatedHours = hours,
        }));
        var first = await Task("Build the claim API", 1, 3);
        Ready = await Task("Document the claim API", 2, 2);
        Xss = await Task(XssTitle, 5, 1.5m);

        CoderSession = await With<ISessionService, AgentSession>(s => s.StartAsync(new SessionStart(Project.Id, SessionAgentType.Implementation)
        {
            AgentId = Coder.Id, OversightLevel = OversightLevel.Enhanced, RiskLevel = 3, CurrentAction = "reading the claim code",
        }));
        var claimed = await With<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(Coder.Id, Project.Id, new ClaimOptions { SessionId = CoderSession.SessionId }));
        Assert.That(claimed?.Lease.WorkItemId, Is.EqualTo(first.Id));
        await With<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.AcquireAsync(CoderSession.SessionId, [LockedPath], FileLockType.Exclusive, TimeSpan.FromMinutes(10)));

        var review = await With<ISessionService, AgentSession>(s => s.StartAsync(new SessionStart(Project.Id, SessionAgentType.Qa)
        {
            AgentId = Reviewer.Id, OversightLevel = OversightLevel.Strict, RiskLevel = 1,
        }));
        await With<IQaService, QaResult>(q => q.RecordResultAsync(new NewQaResult(first.Id, review.SessionId, QaType.CodeReview, QaResultStatus.Fail)
        {
            Findings = [new QaFinding { Severity = "error", Message = "Swallows the <b>payment</b> error", File = LockedPath, Line = 42 }],
            MockViolations = [new MockViolation { Description = "Mocks the database in an integration test", File = "tests/ClaimTests.cs", Line = 7 }],
            RemediationNeeded = "Surface the error and test it against a real database.",
        }));

        await With<IBacklogService, BacklogItem>(b => b.SubmitAsync(new BacklogSubmission(Project.Id, "Faster claims", "Claims take too long.", "p99 under 10 ms")
        {
            Priority = 2, BusinessValue = 8, Complexity = Complexity.Complex,
        }));
    }
}
