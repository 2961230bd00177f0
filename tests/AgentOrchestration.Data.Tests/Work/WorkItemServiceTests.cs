using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Sprints;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Work;

/// <summary>Projects, sprints, work items, dependencies with cycle detection and the ready-work query, on each provider.</summary>
public sealed class WorkItemServiceTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private ServiceProvider services = null!;

    protected override bool StartsMigrated => true;

    [SetUp]
    public async Task StartAsync()
    {
        await using (await MigratedContextAsync())
        {
        }

        services = OrchestrationServices.Create(Database);
    }

    [TearDown]
    public async Task StopAsync() => await services.DisposeAsync();

    [Test]
    public async Task Creates_a_hierarchy_in_a_sprint()
    {
        var project = await Work(w => w.CreateProjectAsync("core-api", "Core API"));
        var sprint = await Sprints(s => s.PlanAsync(new SprintPlan(project.Id, "Sprint 1") { Goal = "Ship claims", StartsAt = DateTimeOffset.UtcNow, EndsAt = DateTimeOffset.UtcNow.AddDays(14) }));
        var epic = await Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Epic, Title = "Coordination" }));
        var story = await Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Story, Title = "Claims", ParentId = epic.Id, SprintId = sprint.Id }));
        var task = await Work(w => w.CreateWorkItemAsync(new NewWorkItem
        {
            ProjectId = project.Id, Type = WorkItemType.Task, Title = "Claim SQL", ParentId = story.Id, SprintId = sprint.Id, Priority = 1,
            EstimatedHours = 3.5m, RequiredCapabilities = [" PostgreSQL ", "csharp", "csharp"],
        }));

        await using var db = CreateContext();
        var stored = await db.WorkItems.Include(w => w.Parent).SingleAsync(w => w.Id == task.Id);
        Assert.Multiple(() =>
        {
            Assert.That(stored.Parent?.Id, Is.EqualTo(story.Id));
            Assert.That(stored.SprintId, Is.EqualTo(sprint.Id));
            Assert.That(stored.RequiredCapabilities, Is.EqualTo(new[] { "postgresql", "csharp" }));
            Assert.That(stored.EstimatedHours, Is.EqualTo(3.5m));
            Assert.That(stored.Status, Is.EqualTo(WorkItemStatus.Todo));
            Assert.That(stored.DelegationStatus, Is.EqualTo(DelegationStatus.Unassigned));
        });
        Assert.That(await db.Events.Select(e => e.Type).ToListAsync(),
            Is.EqualTo(new[] { OrchestrationEventTypes.ProjectCreated, OrchestrationEventTypes.SprintPlanned, OrchestrationEventTypes.WorkItemCreated, OrchestrationEventTypes.WorkItemCreated, OrchestrationEventTypes.WorkItemCreated }));
    }

    [Test]
    public async Task Invalid_items_are_refused_and_nothing_is_written()
    {
        var project = await Work(w => w.CreateProjectAsync("p-1", "P"));
        var other = await Work(w => w.CreateProjectAsync("p-2", "Q"));
        var foreignStory = await Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = other.Id, Type = WorkItemType.Story, Title = "Theirs" }));
        var task = await Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Task, Title = "Mine" }));
        await using var db = CreateContext();
        var before = await db.WorkItems.CountAsync();

        Assert.ThrowsAsync<ProjectIsolationException>(() => Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Task, Title = "x", ParentId = foreignStory.Id })));
        Assert.ThrowsAsync<ArgumentException>(() => Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Task, Title = "x", ParentId = task.Id })));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Task, Title = "x", Priority = 7 })));
        Assert.ThrowsAsync<ArgumentException>(() => Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Task, Title = " " })));
        Assert.ThrowsAsync<EntityNotFoundException>(() => Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = Guid.NewGuid(), Type = WorkItemType.Task, Title = "x" })));
        Assert.ThrowsAsync<DuplicateValueException>(() => Work(w => w.CreateProjectAsync("p-1", "again")));
        Assert.ThrowsAsync<ArgumentException>(() => Work(w => w.CreateProjectAsync("Not A Key", "x")));
        Assert.ThrowsAsync<ArgumentException>(() => Sprints(s => s.PlanAsync(new SprintPlan(project.Id, "s") { StartsAt = DateTimeOffset.UtcNow, EndsAt = DateTimeOffset.UtcNow.AddDays(-1) })));

        Assert.That(await db.WorkItems.CountAsync(), Is.EqualTo(before));
        Assert.That(await db.Projects.CountAsync(), Is.EqualTo(2));
        Assert.That(await db.Sprints.CountAsync(), Is.Zero);
    }

    [Test]
    public async Task A_dependency_that_closes_a_cycle_is_refused_with_its_path()
    {
        var project = await Work(w => w.CreateProjectAsync("cycles", "Cycles"));
        var items = new List<WorkItem>();
        for (var i = 0; i < 4; i++)
        {
            items.Add(await Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Task, Title = $"t{i}" })));
        }

        // t0 -> t1 -> t2 -> t3 (each waits on the next).
        for (var i = 0; i < 3; i++)
        {
            var (a, b) = (items[i].Id, items[i + 1].Id);
            await Work(async w => { await w.AddDependencyAsync(a, b); return 0; });
        }

        var cycle = Assert.ThrowsAsync<DependencyCycleException>(() => Work(async w => { await w.AddDependencyAsync(items[3].Id, items[0].Id); return 0; }));
        Assert.That(cycle!.Path, Is.EqualTo(new[] { items[3].Id, items[0].Id, items[1].Id, items[2].Id, items[3].Id }));
        Assert.ThrowsAsync<DependencyCycleException>(() => Work(async w => { await w.AddDependencyAsync(items[1].Id, items[1].Id); return 0; }));

        await using var db = CreateContext();
        Assert.That(await db.WorkItemDependencies.CountAsync(), Is.EqualTo(3), "the refused dependency was not written");
        Assert.That(await Work(w => w.RemoveDependencyAsync(items[2].Id, items[3].Id)), Is.True);
        await Work(async w => { await w.AddDependencyAsync(items[3].Id, items[0].Id); return 0; });
        Assert.That(await db.WorkItemDependencies.CountAsync(), Is.EqualTo(3));
    }

    [Test]
    public async Task Concurrent_additions_cannot_close_a_cycle_together()
    {
        var project = await Work(w => w.CreateProjectAsync("race", "Race"));
        var a = await Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Task, Title = "a" }));
        var b = await Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Task, Title = "b" }));

        for (var round = 0; round < 5; round++)
        {
            var outcomes = await Task.WhenAll(
                Task.Run(() => TryAddAsync(a.Id, b.Id)),
                Task.Run(() => TryAddAsync(b.Id, a.Id)));
            Assert.That(outcomes.Count(o => o), Is.EqualTo(1), "exactly one direction wins");
            await using var db = CreateContext();
            Assert.That(await db.WorkItemDependencies.CountAsync(), Is.EqualTo(1));
            await db.WorkItemDependencies.ExecuteDeleteAsync();
        }
    }

    [Test]
    public async Task Ready_work_is_unassigned_todo_tasks_with_done_dependencies_by_priority()
    {
        var project = await Work(w => w.CreateProjectAsync("ready", "Ready"));
        Task<WorkItem> Item(WorkItemType type, int priority, string title) =>
            Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = type, Title = title, Priority = priority }));
        await Item(WorkItemType.Task, 4, "low");
        await Item(WorkItemType.Bug, 1, "bug");
        var waiting = await Item(WorkItemType.Task, 1, "waiting");
        var blocker = await Item(WorkItemType.Task, 5, "blocker");
        await Item(WorkItemType.Story, 1, "story");
        await Work(async w => { await w.AddDependencyAsync(waiting.Id, blocker.Id); return 0; });

        var ready = await Work(w => w.GetReadyWorkAsync(project.Id));
        Assert.That(ready.Select(r => r.Title), Is.EqualTo(new[] { "bug", "low", "blocker" }));
        Assert.That((await Work(w => w.GetReadyWorkAsync(project.Id, skip: 1, take: 1))).Single().Title, Is.EqualTo("low"));

        await using (var db = CreateContext())
        {
            await db.WorkItems.Where(w => w.Id == blocker.Id).ExecuteUpdateAsync(s => s.SetProperty(w => w.Status, WorkItemStatus.Done));
        }

        Assert.That((await Work(w => w.GetReadyWorkAsync(project.Id))).Select(r => r.Title), Is.EqualTo(new[] { "bug", "waiting", "low" }));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Work(w => w.GetReadyWorkAsync(project.Id, take: 0)));
    }

    [Test]
    public async Task A_work_item_is_read_by_id_as_stored_now_so_a_caller_learns_whether_its_completion_landed()
    {
        var project = await Work(w => w.CreateProjectAsync("p-1", "P"));
        var item = await Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Task, Title = "Ship it", Priority = 2 }));
        // Completion without QA: the gate is tested in Qa/; here only what the read shows matters.
        await using var gateless = OrchestrationServices.Create(Database, configure: OrchestrationServices.WithoutQaGate);
        await using var scope = gateless.CreateAsyncScope();
        var agent = await scope.ServiceProvider.GetRequiredService<AgentOrchestration.Data.Agents.IAgentRegistry>().RegisterAsync(
            new AgentOrchestration.Data.Agents.AgentRegistration { Name = "Coder", Slug = "coder", Type = "engineer", Mode = "implementation" });
        var claimer = scope.ServiceProvider.GetRequiredService<AgentOrchestration.Data.Claims.IWorkClaimer>();
        var claimed = await claimer.ClaimNextAsync(agent.Id, project.Id);

        var held = await Work(w => w.GetWorkItemAsync(item.Id));
        Assert.That((held!.Title, held.Priority, held.Status, held.DelegationStatus, held.AssignedAgentId),
            Is.EqualTo(("Ship it", 2, WorkItemStatus.Todo, DelegationStatus.Assigned, (Guid?)agent.Id)));

        await claimer.CompleteAsync(claimed!.Lease);
        Assert.That((await Work(w => w.GetWorkItemAsync(item.Id)))!.Status, Is.EqualTo(WorkItemStatus.Done));
        Assert.That(await Work(w => w.GetWorkItemAsync(Guid.NewGuid())), Is.Null);
    }

    private async Task<bool> TryAddAsync(Guid from, Guid to)
    {
        try
        {
            await Work(async w => { await w.AddDependencyAsync(from, to); return 0; });
            return true;
        }
        catch (DependencyCycleException)
        {
            return false;
        }
    }

    private async Task<T> Work<T>(Func<IWorkItemService, Task<T>> action)
    {
        await using var scope = services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<IWorkItemService>());
    }

    private async Task<T> Sprints<T>(Func<ISprintService, Task<T>> action)
    {
        await using var scope = services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<ISprintService>());
    }
}
