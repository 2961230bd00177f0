using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Testing;

/// <summary>The world builder makes the state it reports, through the services, with the default QA policy.</summary>
public sealed class WorldTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private ServiceProvider services = null!;

    protected override bool StartsMigrated => true;

    [SetUp]
    public async Task MigrateAsync()
    {
        await using (await MigratedContextAsync())
        {
        }

        services = Database.Throwaway.CreateServices();
    }

    [TearDown]
    public async Task DisposeServicesAsync() => await services.DisposeAsync();

    [Test]
    public async Task The_default_world_is_a_started_sprint_of_dependent_tasks_with_nothing_claimed()
    {
        var world = await OrchestrationWorld.CreateAsync(services);

        await using var db = CreateContext();
        var items = await db.WorkItems.AsNoTracking().Where(w => w.ProjectId == world.ProjectId).ToListAsync();
        var dependencies = await db.WorkItemDependencies.AsNoTracking().ToListAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(world.Agents, Has.Count.EqualTo(3));
            Assert.That(items.Count(i => i.Type == WorkItemType.Epic), Is.EqualTo(1));
            Assert.That(items.Count(i => i.Type == WorkItemType.Story), Is.EqualTo(2));
            Assert.That(items.Where(i => i.Type == WorkItemType.Task).Select(i => i.Id), Is.EquivalentTo(world.TaskIds));
            Assert.That(items, Has.All.Matches<WorkItem>(i => i.SprintId == world.SprintId && i.Status == WorkItemStatus.Todo && i.DelegationStatus == DelegationStatus.Unassigned));
            Assert.That(dependencies.Select(d => new DependencyRequest(d.WorkItemId, d.DependsOnId)), Is.EquivalentTo(world.Dependencies));
            Assert.That(world.Dependencies, Has.Count.EqualTo(4), "two chains of three tasks");
            Assert.That((await db.Sprints.SingleAsync(s => s.Id == world.SprintId)).Status, Is.EqualTo(SprintStatus.Active));
            Assert.That(await db.AgentCapabilities.CountAsync(), Is.EqualTo(9), "three agents with three capabilities each");
            Assert.That(await db.AgentSessions.CountAsync(s => s.Status == SessionStatus.Active), Is.EqualTo(4), "one per agent and the reviewer's");
            Assert.That(world.Claimed.Concat(world.Locked).Concat(world.Reviewed), Is.Empty);
            Assert.That(await db.Events.CountAsync(e => e.Type == OrchestrationEventTypes.WorkItemCreated), Is.EqualTo(9), "every item went through the service");
        });

        await using var scope = services.CreateAsyncScope();
        var ready = await scope.ServiceProvider.GetRequiredService<IWorkItemService>().GetReadyWorkAsync(world.ProjectId);
        Assert.That(ready.Select(r => r.Id), Is.EquivalentTo(new[] { world.TaskIds[0], world.TaskIds[3] }), "the head of each story's chain");
    }

    [Test]
    public async Task A_world_with_done_reviewed_locked_and_claimed_tasks_has_each_in_that_state()
    {
        var world = await OrchestrationWorld.CreateAsync(
            services, new WorldOptions { Agents = 2, StoriesPerEpic = 4, Done = 3, Reviewed = 1, Locked = 1, Claimed = 1 }, new OrchestrationFaker(11));

        await using var db = CreateContext();
        var items = await db.WorkItems.AsNoTracking().ToDictionaryAsync(w => w.Id);
        var held = world.Reviewed.Concat(world.Locked).Concat(world.Claimed).ToList();
        Assert.Multiple(async () =>
        {
            Assert.That(world.DoneTaskIds, Has.Count.EqualTo(3));
            Assert.That(world.DoneTaskIds.Select(id => items[id].Status), Has.All.EqualTo(WorkItemStatus.Done));
            Assert.That(world.DoneTaskIds.Select(id => items[id].QaStatus), Has.All.EqualTo(QaStatus.QaPassed));
            Assert.That(held.Select(c => c.TaskId).Concat(world.DoneTaskIds), Is.Unique);
            Assert.That(held.Select(c => items[c.TaskId].AssignedAgentId), Is.EqualTo(held.Select(c => (Guid?)c.AgentId)));
            Assert.That(held.Select(c => items[c.TaskId].AssignedAgentSession), Is.EqualTo(held.Select(c => c.SessionId)));
            Assert.That(held.Select(c => items[c.TaskId].Status), Has.None.EqualTo(WorkItemStatus.Done));
            Assert.That(world.Reviewed.Select(c => items[c.TaskId].QaStatus), Has.All.EqualTo(QaStatus.QaPassed));
            Assert.That(world.Claimed.Concat(world.Locked).Select(c => items[c.TaskId].QaStatus), Has.All.EqualTo(QaStatus.NotStarted));
            Assert.That(held.Select(c => c.AgentId).Distinct().Count(), Is.EqualTo(2), "claims go round the agents");
            var locks = await db.FileLocks.AsNoTracking().ToListAsync();
            Assert.That(world.Locked.Single().LockedPaths, Is.Not.Empty);
            Assert.That(locks.Select(l => (l.LockedBySession, l.FilePath)), Is.EquivalentTo(world.Locked.Single().LockedPaths.Select(p => (world.Locked.Single().SessionId, p))));
            Assert.That(await db.QaResults.CountAsync(r => r.AgentSessionId == world.ReviewerSessionId && r.Status == QaResultStatus.Pass), Is.EqualTo(8),
                "the default policy's two types for three done tasks and one reviewed");
        });
    }

    [Test]
    public void Asking_for_more_held_tasks_than_ready_ones_fails_with_a_clear_message()
    {
        var error = Assert.ThrowsAsync<InvalidOperationException>(() => OrchestrationWorld.CreateAsync(services, new WorldOptions { Claimed = 3 }));
        Assert.That(error!.Message, Does.Contain("no ready task left"));
    }

    [Test]
    public void Asking_for_more_tasks_than_exist_is_refused_before_anything_is_written()
    {
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => OrchestrationWorld.CreateAsync(services, new WorldOptions { TasksPerStory = 1, Done = 3 }));
        using var db = CreateContext();
        Assert.That(db.Projects.Count(), Is.Zero);
    }
}
