using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Sprints;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Sprints;

/// <summary>Sprint lifecycle, one active sprint per project, adding and removing work, completion and progress, on each provider.</summary>
public sealed class SprintServiceTests(DatabaseProvider provider) : SprintFixture(provider)
{
    [Test]
    public async Task A_sprint_is_planned_started_and_completed_with_an_event_per_step()
    {
        var planned = await PlanAsync();
        Assert.That((planned.Status, planned.StartsAt, planned.Goal), Is.EqualTo((SprintStatus.Planned, (DateTimeOffset?)null, "ship it")));

        Clock.Advance(TimeSpan.FromHours(1));
        var started = await SprintsAsync(s => s.StartAsync(planned.Id, "lead"));
        Assert.That((started.Status, started.StartsAt), Is.EqualTo((SprintStatus.Active, (DateTimeOffset?)Clock.GetUtcNow())));
        Assert.That((await SprintsAsync(s => s.GetActiveAsync(Project.Id)))!.Id, Is.EqualTo(planned.Id));

        Clock.Advance(TimeSpan.FromDays(14));
        var completion = await SprintsAsync(s => s.CompleteAsync(planned.Id, "lead"));
        Assert.That((completion.Sprint.Status, completion.Sprint.EndsAt), Is.EqualTo((SprintStatus.Completed, (DateTimeOffset?)Clock.GetUtcNow())));
        Assert.That(await SprintsAsync(s => s.GetActiveAsync(Project.Id)), Is.Null);

        await using var db = CreateContext();
        var events = await TestEvents(db).OrderBy(e => e.Sequence).ToListAsync();
        Assert.That(events.Select(e => e.Type), Is.EqualTo(new[] { OrchestrationEventTypes.SprintPlanned, OrchestrationEventTypes.SprintStarted, OrchestrationEventTypes.SprintCompleted }));
        Assert.Multiple(() =>
        {
            Assert.That(events.All(e => e.EntityId == planned.Id && e.EntityType == "sprint" && e.ProjectId == Project.Id && e.Actor == "lead"), Is.True);
            Assert.That((events[1].Payload!.From, events[1].Payload!.To), Is.EqualTo(("planned", "active")));
            Assert.That((events[2].Payload!.From, events[2].Payload!.To), Is.EqualTo(("active", "completed")));
        });
    }

    [Test]
    public async Task Planned_dates_are_kept_when_the_sprint_starts_and_completes()
    {
        var starts = new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
        var sprint = await SprintsAsync(s => s.PlanAsync(new SprintPlan(Project.Id, "dated") { StartsAt = starts, EndsAt = starts.AddDays(14) }));
        await SprintsAsync(s => s.StartAsync(sprint.Id));
        var done = await SprintsAsync(s => s.CompleteAsync(sprint.Id));
        Assert.That((done.Sprint.StartsAt, done.Sprint.EndsAt), Is.EqualTo(((DateTimeOffset?)starts, (DateTimeOffset?)starts.AddDays(14))));
    }

    [Test]
    public async Task Completing_returns_unfinished_work_to_no_sprint_and_reports_it()
    {
        var sprint = await PlanAsync();
        var done = await AddItemAsync(WorkItemStatus.Done, sprint.Id);
        var cancelled = await AddItemAsync(WorkItemStatus.Cancelled, sprint.Id);
        var todo = await AddItemAsync(WorkItemStatus.Todo, sprint.Id);
        var busy = await AddItemAsync(WorkItemStatus.InProgress, sprint.Id);
        var review = await AddItemAsync(WorkItemStatus.InReview, sprint.Id);
        var elsewhere = await AddItemAsync(WorkItemStatus.Todo);
        await SprintsAsync(s => s.StartAsync(sprint.Id));

        var completion = await SprintsAsync(s => s.CompleteAsync(sprint.Id, "lead"));

        Assert.That(completion.FinishedItemIds, Is.EquivalentTo(new[] { done.Id, cancelled.Id }));
        Assert.That(completion.ReturnedItemIds, Is.EquivalentTo(new[] { todo.Id, busy.Id, review.Id }));
        await using var db = CreateContext();
        var sprints = await db.WorkItems.ToDictionaryAsync(w => w.Id, w => w.SprintId);
        Assert.Multiple(() =>
        {
            Assert.That(sprints[done.Id], Is.EqualTo(sprint.Id));
            Assert.That(sprints[cancelled.Id], Is.EqualTo(sprint.Id));
            Assert.That(sprints[todo.Id], Is.Null);
            Assert.That(sprints[busy.Id], Is.Null);
            Assert.That(sprints[review.Id], Is.Null);
            Assert.That(sprints[elsewhere.Id], Is.Null);
        });
        var removed = await db.Events.Where(e => e.Type == OrchestrationEventTypes.SprintWorkRemoved).ToListAsync();
        Assert.That(removed.Select(e => e.Payload!.WorkItemId), Is.EquivalentTo(new[] { todo.Id, busy.Id, review.Id }));
        var completed = await db.Events.SingleAsync(e => e.Type == OrchestrationEventTypes.SprintCompleted);
        Assert.That(completed.Payload!.Data.Single(d => d.Key == "returned_items").Value, Is.EqualTo("3"));
    }

    [Test]
    public async Task A_second_sprint_cannot_start_while_one_is_active_and_the_refusal_names_it()
    {
        var first = await PlanAsync("first");
        var second = await PlanAsync("second");
        var otherProject = await OtherProjectAsync();
        var elsewhere = await PlanAsync("elsewhere", otherProject);
        await SprintsAsync(s => s.StartAsync(first.Id));
        var before = await SnapshotAsync();

        var refused = Assert.ThrowsAsync<SprintAlreadyActiveException>(() => SprintsAsync(s => s.StartAsync(second.Id)));
        Assert.Multiple(() =>
        {
            Assert.That(refused!.ActiveSprintId, Is.EqualTo(first.Id));
            Assert.That(refused.ActiveSprintName, Is.EqualTo("first"));
            Assert.That(refused.RequestedSprintId, Is.EqualTo(second.Id));
            Assert.That(refused.Message, Does.Contain("'first'").And.Contain(first.Id.ToString()));
        });
        Assert.That(await SnapshotAsync(), Is.EqualTo(before));

        Assert.That((await SprintsAsync(s => s.StartAsync(elsewhere.Id))).Status, Is.EqualTo(SprintStatus.Active), "another project has its own active sprint");
        await SprintsAsync(s => s.CompleteAsync(first.Id));
        Assert.That((await SprintsAsync(s => s.StartAsync(second.Id))).Status, Is.EqualTo(SprintStatus.Active));
    }

    [Test]
    public async Task Refused_transitions_name_the_states_and_leave_the_database_unchanged()
    {
        var planned = await PlanAsync("planned");
        var active = await PlanAsync("active");
        await SprintsAsync(s => s.StartAsync(active.Id));
        var completed = await PlanAsync("completed");
        await using (var db = CreateContext())
        {
            var row = await db.Sprints.SingleAsync(s => s.Id == completed.Id);
            row.Status = SprintStatus.Completed;
            await db.SaveChangesAsync();
        }

        var item = await AddItemAsync();
        var before = await SnapshotAsync();

        var cases = new (string Case, Func<ISprintService, Task> Act, string Current)[]
        {
            ("start an active sprint", s => s.StartAsync(active.Id), "active"),
            ("start a completed sprint", s => s.StartAsync(completed.Id), "completed"),
            ("complete a planned sprint", s => s.CompleteAsync(planned.Id), "planned"),
            ("complete a completed sprint", s => s.CompleteAsync(completed.Id), "completed"),
            ("add to a completed sprint", s => s.AddWorkAsync(completed.Id, [item.Id]), "completed"),
            ("remove from a completed sprint", s => s.RemoveWorkAsync(completed.Id, [item.Id]), "completed"),
        };
        foreach (var (name, act, current) in cases)
        {
            var refused = Assert.ThrowsAsync<InvalidStateTransitionException>(() => SprintsAsync(async s => { await act(s); return 0; }), name);
            Assert.That((refused!.EntityType, refused.Current), Is.EqualTo(("sprint", current)), name);
        }

        Assert.ThrowsAsync<EntityNotFoundException>(() => SprintsAsync(s => s.StartAsync(Guid.NewGuid())));
        Assert.ThrowsAsync<EntityNotFoundException>(() => SprintsAsync(s => s.CompleteAsync(Guid.NewGuid())));
        Assert.ThrowsAsync<EntityNotFoundException>(() => SprintsAsync(s => s.GetProgressAsync(Guid.NewGuid())));
        Assert.ThrowsAsync<ArgumentException>(() => PlanAsync(" "));
        Assert.ThrowsAsync<ArgumentException>(() => SprintsAsync(s => s.PlanAsync(new SprintPlan(Project.Id, "x") { StartsAt = Clock.GetUtcNow(), EndsAt = Clock.GetUtcNow() })));
        Assert.ThrowsAsync<EntityNotFoundException>(() => SprintsAsync(s => s.PlanAsync(new SprintPlan(Guid.NewGuid(), "x"))));
        Assert.ThrowsAsync<ArgumentNullException>(() => SprintsAsync(s => s.PlanAsync(null!)));

        Assert.That(await SnapshotAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Work_is_added_moved_and_removed_with_an_event_per_item()
    {
        var first = await PlanAsync("first");
        var second = await PlanAsync("second");
        var a = await AddItemAsync();
        var b = await AddItemAsync();
        var c = await AddItemAsync(sprintId: first.Id);

        Assert.That(await SprintsAsync(s => s.AddWorkAsync(first.Id, [a.Id, b.Id, c.Id, a.Id], "lead")), Is.EqualTo(2), "c was in the sprint already; a is named twice");
        await SprintsAsync(s => s.StartAsync(second.Id));
        Assert.That(await SprintsAsync(s => s.AddWorkAsync(second.Id, [c.Id])), Is.EqualTo(1), "an active sprint takes work, moved from a planned one");
        Assert.That(await SprintsAsync(s => s.RemoveWorkAsync(first.Id, [a.Id, c.Id])), Is.EqualTo(1), "c is no longer in the first sprint");

        await using var db = CreateContext();
        var sprints = await db.WorkItems.ToDictionaryAsync(w => w.Id, w => w.SprintId);
        Assert.That((sprints[a.Id], sprints[b.Id], sprints[c.Id]), Is.EqualTo(((Guid?)null, (Guid?)first.Id, (Guid?)second.Id)));
        var events = await db.Events.Where(e => e.Type.StartsWith("sprint.work")).OrderBy(e => e.Sequence).ToListAsync();
        Assert.That(events.Select(e => (e.Type, e.EntityId, e.Payload!.WorkItemId)), Is.EqualTo(new[]
        {
            (OrchestrationEventTypes.SprintWorkAdded, (Guid?)first.Id, (Guid?)a.Id),
            (OrchestrationEventTypes.SprintWorkAdded, first.Id, b.Id),
            (OrchestrationEventTypes.SprintWorkAdded, second.Id, c.Id),
            (OrchestrationEventTypes.SprintWorkRemoved, first.Id, a.Id),
        }));
        Assert.That(events[2].Payload!.Data.Single(d => d.Key == "from_sprint_id").Value, Is.EqualTo(first.Id.ToString()));
    }

    [Test]
    public async Task Adding_work_of_another_project_or_from_a_completed_sprint_is_refused_all_or_nothing()
    {
        var sprint = await PlanAsync();
        var old = await PlanAsync("old");
        var mine = await AddItemAsync();
        var other = await OtherProjectAsync();
        var theirs = await AddItemAsync(project: other);
        var finished = await AddItemAsync(WorkItemStatus.Done, old.Id);
        await SprintsAsync(s => s.StartAsync(old.Id));
        await SprintsAsync(s => s.CompleteAsync(old.Id));
        var before = await SnapshotAsync();

        var isolation = Assert.ThrowsAsync<ProjectIsolationException>(() => SprintsAsync(s => s.AddWorkAsync(sprint.Id, [mine.Id, theirs.Id])));
        Assert.That(isolation!.Message, Does.Contain(theirs.Id.ToString()));
        var frozen = Assert.ThrowsAsync<InvalidStateTransitionException>(() => SprintsAsync(s => s.AddWorkAsync(sprint.Id, [mine.Id, finished.Id])));
        Assert.That(frozen!.Id, Is.EqualTo(old.Id));
        Assert.ThrowsAsync<EntityNotFoundException>(() => SprintsAsync(s => s.AddWorkAsync(sprint.Id, [mine.Id, Guid.NewGuid()])));
        Assert.ThrowsAsync<EntityNotFoundException>(() => SprintsAsync(s => s.RemoveWorkAsync(sprint.Id, [Guid.NewGuid()])));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => SprintsAsync(s => s.AddWorkAsync(sprint.Id, [])));
        Assert.ThrowsAsync<ArgumentNullException>(() => SprintsAsync(s => s.AddWorkAsync(sprint.Id, null!)));
        Assert.ThrowsAsync<EntityNotFoundException>(() => SprintsAsync(s => s.AddWorkAsync(Guid.NewGuid(), [mine.Id])));

        Assert.That(await SnapshotAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task A_work_item_cannot_be_created_in_a_completed_sprint()
    {
        var sprint = await PlanAsync();
        await SprintsAsync(s => s.StartAsync(sprint.Id));
        await SprintsAsync(s => s.CompleteAsync(sprint.Id));
        var before = await SnapshotAsync();

        await using var scope = Services.CreateAsyncScope();
        var work = scope.ServiceProvider.GetRequiredService<IWorkItemService>();
        Assert.ThrowsAsync<InvalidStateTransitionException>(() => work.CreateWorkItemAsync(new NewWorkItem { ProjectId = Project.Id, Type = WorkItemType.Task, Title = "late", SprintId = sprint.Id }));
        Assert.That(await SnapshotAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Progress_counts_items_by_status_hours_and_each_agents_workload()
    {
        var sprint = await PlanAsync();
        var ada = await AddAgentAsync("ada");
        var bob = await AddAgentAsync("bob");
        await AddItemAsync(WorkItemStatus.Done, sprint.Id, 5m, 6.5m, ada);
        await AddItemAsync(WorkItemStatus.InProgress, sprint.Id, 3m, 1.25m, ada);
        await AddItemAsync(WorkItemStatus.Done, sprint.Id, 2m, 1m, bob);
        await AddItemAsync(WorkItemStatus.Todo, sprint.Id, 8m, null, null);
        await AddItemAsync(WorkItemStatus.Todo, sprint.Id, null, null, null);
        await AddItemAsync(WorkItemStatus.Todo, null, 40m, 40m, ada);

        var progress = await SprintsAsync(s => s.GetProgressAsync(sprint.Id));

        Assert.Multiple(() =>
        {
            Assert.That((progress.SprintId, progress.ProjectId, progress.Name, progress.Status), Is.EqualTo((sprint.Id, Project.Id, "Sprint 1", SprintStatus.Planned)));
            Assert.That(progress.TotalItems, Is.EqualTo(5));
            Assert.That(progress.DoneItems, Is.EqualTo(2));
            Assert.That(progress.ItemsByStatus[WorkItemStatus.Todo], Is.EqualTo(2));
            Assert.That(progress.ItemsByStatus[WorkItemStatus.InProgress], Is.EqualTo(1));
            Assert.That(progress.ItemsByStatus[WorkItemStatus.Cancelled], Is.Zero);
            Assert.That(progress.ItemsByStatus.Keys, Is.EquivalentTo(Enum.GetValues<WorkItemStatus>()));
            Assert.That(progress.EstimatedHours, Is.EqualTo(18m));
            Assert.That(progress.DoneEstimatedHours, Is.EqualTo(7m));
            Assert.That(progress.ActualHours, Is.EqualTo(8.75m));
            Assert.That(progress.UnassignedItems, Is.EqualTo(2));
            Assert.That(progress.Agents, Is.EqualTo(new[]
            {
                new SprintAgentWorkload(ada.Id, "ada", 2, 1, 8m, 7.75m),
                new SprintAgentWorkload(bob.Id, "bob", 1, 0, 2m, 1m),
            }));
        });
    }

    [Test]
    public async Task Progress_of_an_empty_sprint_is_all_zero()
    {
        var sprint = await PlanAsync();
        var progress = await SprintsAsync(s => s.GetProgressAsync(sprint.Id));
        Assert.Multiple(() =>
        {
            Assert.That(progress.TotalItems, Is.Zero);
            Assert.That(progress.EstimatedHours, Is.Zero);
            Assert.That(progress.ActualHours, Is.Zero);
            Assert.That(progress.Agents, Is.Empty);
            Assert.That(progress.Name, Is.EqualTo("Sprint 1"));
        });
    }
}
