using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Tests.Schema;

/// <summary>The model's relationships (see docs/schema.md), loaded from the database on each provider.</summary>
public sealed class NavigationTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    protected override bool StartsMigrated => true;

    [Test]
    public async Task Every_relationship_loads()
    {
        Guid storyId, sprintId, agentId, sessionId, doneAssignmentId, activeAssignmentId;
        await using (var context = await MigratedContextAsync())
        {
            var project = Fakes.Project();
            var sprint = new Sprint { Project = project, Name = "Sprint 1", CreatedAt = Fakes.Now, UpdatedAt = Fakes.Now };
            var story = Fakes.WorkItem(project, WorkItemType.Story);
            story.Sprint = sprint;
            var task = Fakes.WorkItem(project, WorkItemType.Task, story);
            var bug = Fakes.WorkItem(project, WorkItemType.Bug, story);
            task.Sprint = sprint;
            var agent = Fakes.Agent();
            var done = Fakes.Assignment(bug, agent);
            done.Status = AssignmentStatus.Completed;
            var active = Fakes.Assignment(task, agent);
            active.Status = AssignmentStatus.Started;
            var session = Fakes.Session(project, story, task);
            var reviewer = Fakes.Session(project, story);
            context.AddRange(project, sprint, story, task, bug, agent, done, active, session, reviewer);
            context.Add(new QaResult { Task = task, Project = project, Session = reviewer, QaType = QaType.CodeReview, Status = QaResultStatus.Pass, RecordedAt = Fakes.Now });
            context.Add(new FileLock { Project = project, FilePath = "src/a.cs", Session = session, AcquiredAt = Fakes.Now });
            await context.SaveChangesAsync();

            task.AssigneeType = AssigneeType.Agent;
            task.AssigneeId = agent.Id;
            task.AssignedAgent = agent;
            task.CurrentAssignment = active;
            await context.SaveChangesAsync();
            (storyId, sprintId, agentId, sessionId, doneAssignmentId, activeAssignmentId) = (story.Id, sprint.Id, agent.Id, reviewer.Id, done.Id, active.Id);
        }

        await using var read = CreateContext();
        var loadedTask = await read.WorkItems.Include(w => w.AssignedAgent).Include(w => w.CurrentAssignment).Include(w => w.Assignments)
            .SingleAsync(w => w.ParentId == storyId && w.Type == WorkItemType.Task);
        Assert.Multiple(() =>
        {
            Assert.That(loadedTask.AssignedAgent?.Id, Is.EqualTo(agentId), "work item's assigned agent");
            Assert.That(loadedTask.CurrentAssignment?.Id, Is.EqualTo(activeAssignmentId), "work item's current assignment");
            Assert.That(loadedTask.Assignments.Select(a => a.Id), Is.EqualTo(new[] { activeAssignmentId }), "work item's assignments");
        });

        var agentLoaded = await read.AgentProfiles.Include(a => a.Assignments).Include(a => a.AssignedTasks).SingleAsync(a => a.Id == agentId);
        Assert.Multiple(() =>
        {
            Assert.That(agentLoaded.Assignments.Select(a => a.Id), Is.EquivalentTo(new[] { doneAssignmentId, activeAssignmentId }), "agent's assignments");
            Assert.That(agentLoaded.ActiveAssignments.Select(a => a.Id), Is.EqualTo(new[] { activeAssignmentId }), "agent's active assignments");
            Assert.That(agentLoaded.AssignedTasks.Select(t => t.Type), Is.EquivalentTo(new[] { WorkItemType.Task, WorkItemType.Bug }), "agent's assigned tasks (through assignments)");
            Assert.That(agentLoaded.Capabilities?.Single().Name, Is.EqualTo("csharp"), "JSON capabilities round-trip");
            Assert.That(agentLoaded.Constraints?.ForbiddenPaths, Is.EqualTo(new[] { "secrets/**" }), "JSON constraints round-trip");
        });

        var sprintLoaded = await read.Sprints.Include(s => s.WorkItems).SingleAsync(s => s.Id == sprintId);
        Assert.That(sprintLoaded.WorkItems, Has.Count.EqualTo(2), "sprint's work items");

        var storyLoaded = await read.WorkItems.Include(w => w.Children).SingleAsync(w => w.Id == storyId);
        Assert.That(storyLoaded.Tasks.Select(t => t.Type), Is.EquivalentTo(new[] { WorkItemType.Task, WorkItemType.Bug }), "story's tasks");

        var sessionLoaded = await read.AgentSessions.Include(s => s.QaResults).SingleAsync(s => s.Id == sessionId);
        Assert.That(sessionLoaded.QaResults, Has.Count.EqualTo(1), "session's QA results");
        var locking = await read.AgentSessions.Include(s => s.Locks).SingleAsync(s => s.TaskId != null);
        Assert.That(locking.Locks.Select(l => l.FilePath), Is.EqualTo(new[] { "src/a.cs" }), "session's locks");
    }

    [Test]
    public async Task Timestamps_compare_and_order_in_sql()
    {
        await using var context = await MigratedContextAsync();
        var project = Fakes.Project();
        var baseTime = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.FromHours(5));
        for (var i = 0; i < 5; i++)
        {
            var item = Fakes.WorkItem(project);
            item.Title = $"item {i}";
            // Offsets differ on purpose: order must follow the instant, not the text.
            item.UpdatedAt = baseTime.AddMinutes(i * 10).ToOffset(TimeSpan.FromHours(i % 2 == 0 ? -7 : 9));
            context.Add(item);
        }

        await context.SaveChangesAsync();
        context.ChangeTracker.Clear();

        var cutoff = baseTime.AddMinutes(15);
        var later = await context.WorkItems.Where(w => w.UpdatedAt > cutoff).OrderByDescending(w => w.UpdatedAt).Select(w => w.Title).ToListAsync();
        Assert.That(later, Is.EqualTo(new[] { "item 4", "item 3", "item 2" }));
        var first = await context.WorkItems.OrderBy(w => w.UpdatedAt).FirstAsync();
        Assert.That(first.UpdatedAt, Is.EqualTo(baseTime));
    }
}
