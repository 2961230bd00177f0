using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Work;

/// <summary><see cref="NewWorkItem.DependsOn"/>: a work item and its dependencies are written in one transaction, on each provider.</summary>
public sealed class CreateWithDependenciesTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private ServiceProvider services = null!;

    protected override bool StartsMigrated => true;

    [SetUp]
    public async Task StartAsync()
    {
        await using (await MigratedContextAsync())
        {
        }

        services = OrchestrationServices.Create(Database, configure: OrchestrationServices.WithoutQaGate);
    }

    [TearDown]
    public async Task StopAsync() => await services.DisposeAsync();

    [Test]
    public async Task An_item_is_created_with_its_dependencies_and_waits_for_them()
    {
        var project = await Work(w => w.CreateProjectAsync("deps", "Deps"));
        var schema = await Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Task, Title = "Schema", Priority = 5 }));
        var api = await Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Task, Title = "API", Priority = 5 }));
        var export = await Work(w => w.CreateWorkItemAsync(new NewWorkItem
        {
            ProjectId = project.Id, Type = WorkItemType.Task, Title = "Export", Priority = 1, DependsOn = [schema.Id, api.Id],
        }));

        await using (var db = CreateContext())
        {
            Assert.That(await db.WorkItemDependencies.Where(d => d.WorkItemId == export.Id).Select(d => d.DependsOnId).OrderBy(d => d).ToListAsync(),
                Is.EqualTo(new[] { schema.Id, api.Id }.Order()));
            var events = await db.Events.Where(e => e.EntityId == export.Id).OrderBy(e => e.Sequence).Select(e => e.Type).ToListAsync();
            Assert.That(events, Is.EqualTo(new[] { OrchestrationEventTypes.WorkItemCreated, OrchestrationEventTypes.WorkItemDependencyAdded, OrchestrationEventTypes.WorkItemDependencyAdded }));
        }

        Assert.That((await Work(w => w.GetReadyWorkAsync(project.Id))).Select(r => r.Title), Is.EqualTo(new[] { "Schema", "API" }), "Export waits although it comes first by priority");

        // Completing both, the agent gets Export only after its second dependency is done.
        var agent = await RegisterAsync("coder");
        var claimed = new List<string>();
        await using var scope = services.CreateAsyncScope();
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        while (await claimer.ClaimNextAsync(agent.Id, project.Id) is { } work)
        {
            claimed.Add(work.Title);
            await claimer.CompleteAsync(work.Lease);
        }

        Assert.That(claimed, Is.EqualTo(new[] { "Schema", "API", "Export" }));
    }

    [Test]
    public async Task A_refused_dependency_leaves_no_item_no_edge_and_no_event()
    {
        var project = await Work(w => w.CreateProjectAsync("p-1", "P"));
        var other = await Work(w => w.CreateProjectAsync("p-2", "Q"));
        var mine = await Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Task, Title = "Mine" }));
        var theirs = await Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = other.Id, Type = WorkItemType.Task, Title = "Theirs" }));
        var before = await CliSnapshotAsync();
        var ghost = Guid.NewGuid();
        Task<WorkItem> Create(params Guid[] dependsOn) =>
            Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Task, Title = "New", DependsOn = dependsOn }));

        var missing = Assert.ThrowsAsync<EntityNotFoundException>(() => Create(mine.Id, ghost));
        Assert.That(missing!.Message, Does.Contain(ghost.ToString()));
        var foreign = Assert.ThrowsAsync<ProjectIsolationException>(() => Create(mine.Id, theirs.Id));
        Assert.That((foreign!.Message, foreign.SubjectProjectId, foreign.TargetProjectId), Is.EqualTo(($"The dependency work item '{theirs.Id}' belongs to project '{other.Id}' and cannot act in project '{project.Id}'.", other.Id, project.Id)));
        var repeated = Assert.ThrowsAsync<ArgumentException>(() => Create(mine.Id, mine.Id));
        Assert.That((repeated!.ParamName, repeated.Message), Is.EqualTo(("item.DependsOn[1]", $"item.DependsOn[1] '{mine.Id}' repeats item.DependsOn[0]. Allowed: each dependency once. (Parameter 'item.DependsOn[1]')")));
        var empty = Assert.ThrowsAsync<ArgumentException>(() => Create(Guid.Empty));
        Assert.That(empty!.ParamName, Is.EqualTo("item.DependsOn[0]"));
        var absent = Assert.ThrowsAsync<ArgumentNullException>(() => Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Task, Title = "New", DependsOn = null! })));
        Assert.That(absent!.ParamName, Is.EqualTo("item.DependsOn"));

        Assert.That(await CliSnapshotAsync(), Is.EqualTo(before), "nothing was written");
    }

    [Test]
    public async Task A_failure_while_writing_the_dependencies_leaves_no_item()
    {
        var project = await Work(w => w.CreateProjectAsync("p-1", "P"));
        var first = await Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Task, Title = "First" }));
        await using (var db = CreateContext())
        {
            await RefuseDependencyInsertsAsync(db);
        }

        var before = await CliSnapshotAsync();
        Assert.That(() => Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Task, Title = "Second", DependsOn = [first.Id] })),
            Throws.InstanceOf<DbUpdateException>());
        Assert.That(await CliSnapshotAsync(), Is.EqualTo(before), "the item was not written without its dependency");
    }

    /// <summary>
    /// Claimers poll while items waiting for an undone story are created: none is ever claimable. Written as a create
    /// and then an added dependency, claimers took items in between.
    /// </summary>
    [Test]
    public async Task Claimers_polling_while_items_with_an_undone_dependency_are_created_never_claim_one()
    {
        const int Items = 150;
        var project = await Work(w => w.CreateProjectAsync("race", "Race"));
        var blocker = await Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Story, Title = "Never done" }));
        var agents = new List<AgentProfile>();
        for (var i = 0; i < 4; i++)
        {
            agents.Add(await RegisterAsync($"claimer-{i}"));
        }

        using var done = new CancellationTokenSource();
        var polls = new int[agents.Count];
        var claimers = agents.Select((agent, index) => Task.Run(async () =>
        {
            var claimed = new List<string>();
            await using var scope = services.CreateAsyncScope();
            var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
            while (true)
            {
                var finished = done.IsCancellationRequested;
                if (await claimer.ClaimNextAsync(agent.Id, project.Id) is { } work)
                {
                    claimed.Add(work.Title);
                }

                polls[index]++;
                if (finished)
                {
                    return claimed;
                }

                await Task.Yield();
            }
        })).ToList();

        var creators = Enumerable.Range(0, 2).Select(c => Task.Run(async () =>
        {
            for (var i = 0; i < Items / 2; i++)
            {
                await Work(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Task, Title = $"waits-{c}-{i}", DependsOn = [blocker.Id] }));
            }
        })).ToList();
        try
        {
            await Task.WhenAll(creators);
        }
        finally
        {
            await done.CancelAsync();
        }

        var claims = (await Task.WhenAll(claimers)).SelectMany(c => c).ToList();
        Assert.That(claims, Is.Empty, "an item was claimed before its dependency was recorded");
        Assert.That(polls, Has.All.GreaterThan(1), "every claimer polled during the creation");
        await using var db = CreateContext();
        Assert.That(await db.WorkItemDependencies.CountAsync(d => d.DependsOnId == blocker.Id), Is.EqualTo(Items));
        Assert.That(await db.WorkItems.CountAsync(w => w.DelegationStatus != DelegationStatus.Unassigned), Is.Zero);
    }

    /// <summary>A trigger that fails every insert of a dependency, standing in for a failure half-way.</summary>
    internal static async Task RefuseDependencyInsertsAsync(DbContext db)
    {
        if (db.Database.IsSqlite())
        {
            await db.Database.ExecuteSqlRawAsync("CREATE TRIGGER refuse_dependencies BEFORE INSERT ON work_item_dependencies BEGIN SELECT RAISE(ABORT, 'dependencies refused'); END;");
        }
        else
        {
            await db.Database.ExecuteSqlRawAsync("""
                CREATE FUNCTION refuse_dependencies() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'dependencies refused'; END $$;
                CREATE TRIGGER refuse_dependencies BEFORE INSERT ON work_item_dependencies FOR EACH ROW EXECUTE FUNCTION refuse_dependencies();
                """);
        }
    }

    private Task<List<string>> CliSnapshotAsync() => Cli.CliProcess.SnapshotAsync(Database);

    private async Task<AgentProfile> RegisterAsync(string slug)
    {
        await using var scope = services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<IAgentRegistry>().RegisterAsync(new AgentRegistration
        {
            Name = slug, Slug = slug, Type = "engineer", Mode = "implementation", MaxConcurrentTasks = 1000,
        });
    }

    private async Task<T> Work<T>(Func<IWorkItemService, Task<T>> action)
    {
        await using var scope = services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<IWorkItemService>());
    }
}
