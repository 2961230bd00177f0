using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Backlog;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Sprints;
using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Validation;

/// <summary>
/// What the sweep's calls refer to: two projects with an epic, a story, a task and a sprint each, an agent holding a
/// claim through its session in project A with a lock, a reviewer session, a backlog item under analysis, a ready one,
/// and the ids of rows that were deleted. Built through the public services from the seeded factories.
/// </summary>
public sealed class SweepWorld
{
    public const string Analyst = "analyst-1";

    public required Project A { get; init; }
    public required Project B { get; init; }
    public required AgentProfile Agent { get; init; }
    public required WorkItem EpicA { get; init; }
    public required WorkItem StoryA { get; init; }
    public required WorkItem TaskA { get; init; }
    public required WorkItem EpicB { get; init; }
    public required WorkItem StoryB { get; init; }
    public required WorkItem TaskB { get; init; }
    public required Sprint SprintA { get; init; }
    public required Sprint SprintB { get; init; }
    public required BacklogItem Analysing { get; init; }
    public required BacklogItem Ready { get; init; }
    public required AgentSession SessionA { get; init; }
    public required AgentSession ReviewerA { get; init; }
    public required AgentSession SessionB { get; init; }
    public required ClaimedWork Claim { get; init; }
    public required IReadOnlyList<string> LockedPaths { get; init; }
    public required Guid DeletedItem { get; init; }
    public required Guid DeletedSprint { get; init; }
    public required Guid DeletedBacklogItem { get; init; }

    public static async Task<SweepWorld> CreateAsync(IServiceProvider services, OrchestrationFaker faker, Func<AgentOrchestrationDbContext> context)
    {
        await using var scope = services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        var work = sp.GetRequiredService<IWorkItemService>();
        var a = await work.CreateProjectAsync(faker.Project());
        var b = await work.CreateProjectAsync(faker.Project());
        var agent = await sp.GetRequiredService<IAgentRegistry>().RegisterAsync(faker.Agent(r =>
        {
            r.Capabilities = [.. OrchestrationFaker.Capabilities.Select(c => new CapabilityEntry { Name = c, Proficiency = 3 })];
            r.MaxConcurrentTasks = 5;
        }));

        var epicA = await work.CreateWorkItemAsync(faker.Epic(a.Id));
        var storyA = await work.CreateWorkItemAsync(faker.Story(a.Id, epicA.Id));
        var sessions = sp.GetRequiredService<ISessionService>();
        var sessionA = await sessions.StartAsync(faker.Session(a.Id, agent.Id));
        var claimedItem = await work.CreateWorkItemAsync(faker.Task(a.Id, storyA.Id));
        var claim = await sp.GetRequiredService<IWorkClaimer>().ClaimNextAsync(agent.Id, a.Id, new ClaimOptions { SessionId = sessionA.SessionId })
            ?? throw new InvalidOperationException("the world's claim took nothing");
        Assert.That(claim.Lease.WorkItemId, Is.EqualTo(claimedItem.Id));
        var taskA = await work.CreateWorkItemAsync(faker.Task(a.Id, storyA.Id));
        var locks = await sp.GetRequiredService<IFileLockService>().AcquireAsync(faker.Locks(sessionA.SessionId));

        var epicB = await work.CreateWorkItemAsync(faker.Epic(b.Id));
        var storyB = await work.CreateWorkItemAsync(faker.Story(b.Id, epicB.Id));
        var taskB = await work.CreateWorkItemAsync(faker.Task(b.Id, storyB.Id));

        var sprints = sp.GetRequiredService<ISprintService>();
        var sprintA = await sprints.PlanAsync(faker.Sprint(a.Id));
        var sprintB = await sprints.PlanAsync(faker.Sprint(b.Id));

        var backlog = sp.GetRequiredService<IBacklogService>();
        var analysing = await backlog.SubmitAsync(faker.BacklogSubmission(a.Id));
        analysing = await backlog.StartAnalysisAsync(analysing.Id, Analyst);
        var ready = await backlog.SubmitAsync(faker.BacklogSubmission(a.Id));
        await backlog.StartAnalysisAsync(ready.Id, Analyst);
        ready = await backlog.MarkReadyAsync(ready.Id, Analyst);

        var reviewer = await sessions.StartAsync(faker.Session(a.Id, agentType: SessionAgentType.Qa));
        var sessionB = await sessions.StartAsync(faker.Session(b.Id));

        // Rows that existed and were deleted (by the host: the library deletes none of these).
        var deletedItem = await work.CreateWorkItemAsync(faker.Task(a.Id));
        var deletedSprint = await sprints.PlanAsync(faker.Sprint(a.Id));
        var deletedBacklog = await backlog.SubmitAsync(faker.BacklogSubmission(a.Id));
        await using (var db = context())
        {
            await db.WorkItems.Where(w => w.Id == deletedItem.Id).ExecuteDeleteAsync();
            await db.Sprints.Where(s => s.Id == deletedSprint.Id).ExecuteDeleteAsync();
            await db.Backlog.Where(i => i.Id == deletedBacklog.Id).ExecuteDeleteAsync();
        }

        return new SweepWorld
        {
            A = a, B = b, Agent = agent, EpicA = epicA, StoryA = storyA, TaskA = taskA, EpicB = epicB, StoryB = storyB, TaskB = taskB,
            SprintA = sprintA, SprintB = sprintB, Analysing = analysing, Ready = ready, SessionA = sessionA, ReviewerA = reviewer, SessionB = sessionB,
            Claim = claim, LockedPaths = [.. locks.Select(l => l.Path)], DeletedItem = deletedItem.Id, DeletedSprint = deletedSprint.Id, DeletedBacklogItem = deletedBacklog.Id,
        };
    }
}
