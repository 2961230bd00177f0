using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Backlog;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Migrations;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Sprints;
using AgentOrchestration.Data.Testing;
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
    public Task<WorkItem> AddTaskAsync(string title, int priority = 3) => With<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(Fake.Task(Project.Id, configure: t =>
    {
        t.Title = title;
        t.Priority = priority;
    })));

    public ValueTask DisposeAsync() => Services.DisposeAsync();

    /// <summary>The package's factories every value of the seed comes from (the fields the pages are tested on are set).</summary>
    private static OrchestrationFaker Fake => Fakes.Factory;

    /// <summary>Registers an agent that can do any of the factories' tasks, with room for three.</summary>
    private Task<AgentProfile> RegisterAsync() => With<IAgentRegistry, AgentProfile>(r => r.RegisterAsync(Fake.Agent(a =>
    {
        a.Capabilities = Fakes.AllCapabilities();
        a.MaxConcurrentTasks = 3;
    })));

    private async Task FillAsync()
    {
        Project = await With<IWorkItemService, Project>(w => w.CreateProjectAsync(Fake.Project()));
        Coder = await RegisterAsync();
        Reviewer = await RegisterAsync();
        await RegisterAsync();
        var sprint = await With<ISprintService, Sprint>(s => s.PlanAsync(Fake.Sprint(Project.Id)));
        await With<ISprintService, Sprint>(s => s.StartAsync(sprint.Id));

        Task<WorkItem> Task(string title, int priority, decimal hours) => With<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(Fake.Task(Project.Id, configure: t =>
        {
            t.SprintId = sprint.Id;
            t.Title = title;
            t.Priority = priority;
            t.EstimatedHours = hours;
        })));
        var first = await Task("Build the claim API", 1, 3);
        Ready = await Task("Document the claim API", 2, 2);
        Xss = await Task(XssTitle, 5, 1.5m);

        CoderSession = await With<ISessionService, AgentSession>(s => s.StartAsync(Fake.Session(Project.Id, Coder.Id) with { OversightLevel = OversightLevel.Enhanced }));
        var claimed = await With<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(Coder.Id, Project.Id, Fake.Claim(CoderSession.SessionId)));
        Assert.That(claimed?.Lease.WorkItemId, Is.EqualTo(first.Id));
        await With<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.AcquireAsync(CoderSession.SessionId, [LockedPath], FileLockType.Exclusive, TimeSpan.FromMinutes(10)));

        var review = await With<ISessionService, AgentSession>(s => s.StartAsync(Fake.Session(Project.Id, Reviewer.Id, SessionAgentType.Qa) with { OversightLevel = OversightLevel.Strict }));

        // Markup in a finding and a mock violation, so the page shows both as text.
        await With<IQaService, QaResult>(q => q.RecordResultAsync(Fake.QaResult(first.Id, review.SessionId, QaType.CodeReview, QaResultStatus.Fail) with
        {
            Findings = [new QaFinding { Severity = "error", Message = "Swallows the <b>payment</b> error", File = LockedPath, Line = 42 }],
            MockViolations = [new MockViolation { Description = "Mocks the database in an integration test", File = "tests/ClaimTests.cs", Line = 7 }],
        }));

        await With<IBacklogService, BacklogItem>(b => b.SubmitAsync(Fake.BacklogSubmission(Project.Id)));
    }
}
