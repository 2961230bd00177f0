using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Delegation;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Delegation;

/// <summary>The delegation state machine, its history, assignments, events and worked hours, on each provider.</summary>
public sealed class DelegationTests(DatabaseProvider provider) : OrchestrationFixture(provider)
{
    private Project project = null!;
    private AgentProfile coder = null!;
    private AgentProfile reviewer = null!;
    private WorkItem task = null!;

    [SetUp]
    public async Task SeedAsync()
    {
        project = await CreateProjectAsync();
        coder = await RegisterAgentAsync();
        reviewer = await RegisterAgentAsync();
        task = await CreateWorkAsync(project, configure: w => w.RequiredCapabilities = []);
        await MarkSeededAsync();
    }

    /// <summary>The lifecycle's times are checked against this start.</summary>
    protected override DateTimeOffset ClockStart => new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    protected override ServiceProvider BuildServices() => OrchestrationServices.Create(Database, Clock, configure: OrchestrationServices.WithoutQaGate);

    [Test]
    public async Task The_full_lifecycle_is_recorded_in_one_place_each_step()
    {
        await Delegate(d => d.AssignAsync(task.Id, Assignee.Agent(coder.Id), new DelegationOptions { Actor = "orchestrator", Context = new DelegationContext { Notes = "start with tests" } }));
        await Delegate(d => d.StartAsync(task.Id));
        Clock.Advance(TimeSpan.FromMinutes(90));
        await Delegate(d => d.PauseAsync(task.Id));
        Clock.Advance(TimeSpan.FromHours(5));
        await Delegate(d => d.ResumeAsync(task.Id));
        Clock.Advance(TimeSpan.FromMinutes(30));
        await Delegate(d => d.BlockAsync(task.Id, "waiting for the schema"));
        Clock.Advance(TimeSpan.FromHours(1));
        await Delegate(d => d.UnblockAsync(task.Id));
        Clock.Advance(TimeSpan.FromMinutes(15));
        var done = await Delegate(d => d.CompleteAsync(task.Id));

        Assert.That(done.Status, Is.EqualTo(WorkItemStatus.Done));
        Assert.That(done.ActualHours, Is.EqualTo(2.25m), "1.5 h + 0.5 h + 0.25 h of work; paused and blocked time does not count");

        await using var db = CreateContext();
        var item = await db.WorkItems.Include(w => w.Assignments).SingleAsync(w => w.Id == task.Id);
        Assert.Multiple(() =>
        {
            Assert.That(item.DelegationStatus, Is.EqualTo(DelegationStatus.Completed));
            Assert.That(item.DelegationContext?.Notes, Is.EqualTo("start with tests"));
            Assert.That(item.DelegationHistory!.Select(h => h.Action), Is.EqualTo(new[] { "assign", "start", "pause", "resume", "block", "unblock", "complete" }));
            Assert.That(item.DelegationHistory!.Select(h => h.ToStatus), Is.EqualTo(new[]
            {
                DelegationStatus.Assigned, DelegationStatus.InProgress, DelegationStatus.InProgress, DelegationStatus.InProgress,
                DelegationStatus.Blocked, DelegationStatus.InProgress, DelegationStatus.Completed,
            }));
            Assert.That(item.DelegationHistory![4].Note, Is.EqualTo("waiting for the schema"));
            var assignment = item.Assignments.Single();
            Assert.That(assignment.Status, Is.EqualTo(AssignmentStatus.Completed));
            Assert.That(assignment.AgentId, Is.EqualTo(coder.Id));
            Assert.That(assignment.StartedAt, Is.EqualTo(new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero)));
            Assert.That(assignment.Context?.Notes, Is.EqualTo("start with tests"));
        });
        Assert.That(await TestEvents(db).OrderBy(e => e.Sequence).Select(e => e.Type).ToListAsync(), Is.EqualTo(new[]
        {
            OrchestrationEventTypes.WorkItemAssigned, OrchestrationEventTypes.WorkItemStarted, OrchestrationEventTypes.WorkItemPaused, OrchestrationEventTypes.WorkItemResumed, OrchestrationEventTypes.WorkItemBlocked, OrchestrationEventTypes.WorkItemUnblocked, OrchestrationEventTypes.WorkItemCompleted,
        }));
    }

    [Test]
    public async Task A_refused_transition_names_both_states_and_changes_nothing()
    {
        await Delegate(d => d.AssignAsync(task.Id, Assignee.Agent(coder.Id)));

        var refused = Assert.ThrowsAsync<InvalidStateTransitionException>(() => Delegate(d => d.CompleteAsync(task.Id)));
        Assert.That(refused!.Current, Is.EqualTo("assigned"));
        Assert.That(refused.Message, Does.Contain("'assigned'").And.Contain("completed").And.Contain("in_progress"));
        Assert.ThrowsAsync<InvalidStateTransitionException>(() => Delegate(d => d.AssignAsync(task.Id, Assignee.Agent(reviewer.Id))));
        Assert.ThrowsAsync<InvalidStateTransitionException>(() => Delegate(d => d.ResumeAsync(task.Id)));
        Assert.ThrowsAsync<ArgumentException>(() => Delegate(d => d.BlockAsync(task.Id, " ")));
        Assert.ThrowsAsync<EntityNotFoundException>(() => Delegate(d => d.StartAsync(Guid.NewGuid())));

        await using var db = CreateContext();
        var item = await db.WorkItems.SingleAsync(w => w.Id == task.Id);
        Assert.That(item.DelegationHistory, Has.Count.EqualTo(1));
        Assert.That(await TestEvents(db).CountAsync(), Is.EqualTo(1));
        Assert.That(await db.TaskAssignments.CountAsync(), Is.EqualTo(1));
    }

    [Test]
    public async Task Reassigning_cancels_the_old_assignment_and_fences_off_its_holder()
    {
        await using var scope = Services.CreateAsyncScope();
        var claimed = await scope.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimNextAsync(coder.Id, project.Id);
        Assert.That(claimed, Is.Not.Null);
        await Delegate(d => d.StartAsync(task.Id, new DelegationOptions { FencingToken = claimed!.Lease.FencingToken }));

        Clock.Advance(TimeSpan.FromHours(1));
        var moved = await Delegate(d => d.ReassignAsync(task.Id, Assignee.Agent(reviewer.Id), new DelegationOptions { Actor = "lead", Note = "coder is stuck" }));
        Assert.That(moved.AssignedAgentId, Is.EqualTo(reviewer.Id));
        Assert.That(moved.ActualHours, Is.EqualTo(1m));

        var late = Assert.ThrowsAsync<LeaseLostException>(() => Delegate(d => d.CompleteAsync(task.Id, new DelegationOptions { FencingToken = claimed!.Lease.FencingToken })));
        Assert.That(late!.Message, Does.Contain("current fencing token is 2"));

        await using var db = CreateContext();
        var assignments = await db.TaskAssignments.Where(a => a.WorkItemId == task.Id).OrderBy(a => a.FencingToken).ToListAsync();
        Assert.That(assignments.Select(a => (a.AgentId, a.Status, a.FencingToken)), Is.EqualTo(new[]
        {
            (coder.Id, AssignmentStatus.Cancelled, 1L), (reviewer.Id, AssignmentStatus.Assigned, 2L),
        }));
        var item = await db.WorkItems.SingleAsync(w => w.Id == task.Id);
        Assert.That(item.DelegationHistory!.Select(h => h.Action), Is.EqualTo(new[] { "claim", "start", "reassign" }));
        Assert.That(item.DelegationStatus, Is.EqualTo(DelegationStatus.Assigned));
    }

    [Test]
    public async Task Users_can_be_assigned_and_cancelling_returns_work_to_the_queue()
    {
        var user = Guid.NewGuid();
        var assigned = await Delegate(d => d.AssignAsync(task.Id, Assignee.User(user), new DelegationOptions { AssignedBy = user }));
        Assert.That((assigned.AssigneeType, assigned.AssigneeId, assigned.AssignedAgentId), Is.EqualTo((AssigneeType.User, (Guid?)user, (Guid?)null)));

        await Delegate(d => d.StartAsync(task.Id));
        Assert.ThrowsAsync<InvalidStateTransitionException>(() => Delegate(d => d.PauseAsync(task.Id)), "a user has no assignment to pause");
        var cancelled = await Delegate(d => d.CancelAsync(task.Id, new DelegationOptions { Note = "descoped" }));
        Assert.That(cancelled.DelegationStatus, Is.EqualTo(DelegationStatus.Unassigned));
        Assert.That(cancelled.AssigneeId, Is.Null);

        await using var scope = Services.CreateAsyncScope();
        Assert.That(await scope.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimNextAsync(coder.Id, project.Id), Is.Not.Null, "back in the queue");
        await using var db = CreateContext();
        Assert.That(await db.TaskAssignments.CountAsync(a => a.AgentId == coder.Id), Is.EqualTo(1), "only the claim made an assignment");
    }

    [Test]
    public async Task Archived_agents_cannot_be_assigned()
    {
        await UseAsync<IAgentRegistry, AgentProfile>(r => r.ArchiveAsync(coder.Slug));
        await MarkSeededAsync();

        var refused = Assert.ThrowsAsync<InvalidStateTransitionException>(() => Delegate(d => d.AssignAsync(task.Id, Assignee.Agent(coder.Id))));
        Assert.That(refused!.Message, Does.Contain("archived"));
        Assert.ThrowsAsync<EntityNotFoundException>(() => Delegate(d => d.AssignAsync(task.Id, Assignee.Agent(Guid.NewGuid()))));
        await using var check = CreateContext();
        Assert.That((await check.WorkItems.SingleAsync(w => w.Id == task.Id)).DelegationStatus, Is.EqualTo(DelegationStatus.Unassigned));
        Assert.That(await TestEvents(check).CountAsync(), Is.Zero);
    }

    [Test]
    public async Task A_refused_change_leaves_nothing_for_the_next_save_in_the_scope()
    {
        await using var scope = Services.CreateAsyncScope();
        var delegation = scope.ServiceProvider.GetRequiredService<IDelegationService>();
        var work = scope.ServiceProvider.GetRequiredService<AgentOrchestration.Data.Work.IWorkItemService>();
        await delegation.AssignAsync(task.Id, Assignee.Agent(coder.Id));

        // The reassign cancels the old assignment in memory, then finds no such agent.
        Assert.ThrowsAsync<EntityNotFoundException>(() => delegation.ReassignAsync(task.Id, Assignee.Agent(Guid.NewGuid())));
        await work.CreateProjectAsync("after-refusal", "A later write in the same scope");

        await using var db = CreateContext();
        var item = await db.WorkItems.Include(w => w.CurrentAssignment).SingleAsync(w => w.Id == task.Id);
        Assert.That(item.DelegationStatus, Is.EqualTo(DelegationStatus.Assigned));
        Assert.That(item.CurrentAssignment?.Status, Is.EqualTo(AssignmentStatus.Assigned), "the refused reassign cancelled nothing");
        Assert.That(item.DelegationHistory, Has.Count.EqualTo(1));
    }

    private async Task<WorkItem> Delegate(Func<IDelegationService, Task<WorkItem>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<IDelegationService>());
    }
}
