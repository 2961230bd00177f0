using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Delegation;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Qa;

/// <summary>Claims, assignments and starts record the implementing session (work_items.assigned_agent_session, agent_sessions.task_id), validated, on each provider.</summary>
public sealed class ImplementingSessionTests(DatabaseProvider provider) : QaFixture(provider)
{
    [Test]
    public async Task A_claim_through_a_session_records_it_on_the_item_the_session_and_the_event()
    {
        var session = await StartSessionAsync(Coder.Id);
        var task = await AddTaskAsync();

        var claimed = await ClaimAsync(Coder.Id, session.SessionId);

        Assert.That(claimed!.Lease.WorkItemId, Is.EqualTo(task.Id));
        await using var db = CreateContext();
        Assert.That((await db.WorkItems.SingleAsync(w => w.Id == task.Id)).AssignedAgentSession, Is.EqualTo(session.SessionId));
        Assert.That((await db.AgentSessions.SingleAsync(s => s.SessionId == session.SessionId)).TaskId, Is.EqualTo(task.Id));
        var claimedEvent = await db.Events.SingleAsync(e => e.Type == OrchestrationEventTypes.WorkItemClaimed);
        Assert.That(claimedEvent.Payload!.SessionId, Is.EqualTo(session.SessionId));
    }

    [Test]
    public async Task A_batch_claim_records_the_session_on_every_item_and_its_first_as_the_sessions_task()
    {
        var session = await StartSessionAsync(null);
        var low = await AddTaskAsync(priority: 4);
        var high = await AddTaskAsync(priority: 1);

        var batch = await WithAsync<IWorkClaimer, IReadOnlyList<ClaimedWork>>(c => c.ClaimBatchAsync(Coder.Id, Project.Id, 5, new ClaimOptions { SessionId = session.SessionId }));

        Assert.That(batch.Select(b => b.Lease.WorkItemId), Is.EqualTo(new[] { high.Id, low.Id }));
        await using var db = CreateContext();
        Assert.That(await db.WorkItems.Where(w => w.AssignedAgentSession == session.SessionId).CountAsync(), Is.EqualTo(2), "an agentless session may implement any agent's claim");
        Assert.That((await db.AgentSessions.SingleAsync(s => s.SessionId == session.SessionId)).TaskId, Is.EqualTo(high.Id));
    }

    [Test]
    public async Task A_claim_without_a_session_clears_the_one_an_expired_holder_left()
    {
        var session = await StartSessionAsync(Coder.Id);
        var task = await AddTaskAsync();
        await WithAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(Coder.Id, Project.Id, new ClaimOptions { SessionId = session.SessionId, LeaseDuration = TimeSpan.FromMinutes(1) }));
        Clock.Advance(TimeSpan.FromMinutes(2));

        var again = await ClaimAsync(Reviewer.Id, null);

        Assert.That(again!.Lease.WorkItemId, Is.EqualTo(task.Id));
        Assert.That((await ItemAsync(task.Id)).AssignedAgentSession, Is.Null);
    }

    [Test]
    public async Task A_claim_through_an_unusable_session_is_refused_and_claims_nothing()
    {
        var other = await CreateProjectAsync();

        var ended = await StartSessionAsync(Coder.Id);
        await WithAsync<ISessionService, AgentSession>(s => s.EndAsync(ended.SessionId, SessionStatus.Completed));
        var elsewhere = await StartSessionAsync(Coder.Id, projectId: other.Id);
        var reviewers = await StartSessionAsync(Reviewer.Id);
        await AddTaskAsync();
        var before = await SnapshotAsync();

        Assert.ThrowsAsync<EntityNotFoundException>(() => ClaimAsync(Coder.Id, "no-such-session"));
        var notActive = Assert.ThrowsAsync<SessionNotActiveException>(() => ClaimAsync(Coder.Id, ended.SessionId));
        Assert.That(notActive!.Status, Is.EqualTo(SessionStatus.Completed));
        Assert.ThrowsAsync<ProjectIsolationException>(() => ClaimAsync(Coder.Id, elsewhere.SessionId));
        var wrongAgent = Assert.ThrowsAsync<ArgumentException>(() => ClaimAsync(Coder.Id, reviewers.SessionId));
        Assert.That(wrongAgent!.Message, Does.Contain(reviewers.SessionId).And.Contain(Reviewer.Id.ToString()));
        Assert.ThrowsAsync<ArgumentException>(() => ClaimAsync(Coder.Id, new string('s', 201)));

        Assert.That(await SnapshotAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Agents_belong_to_no_project_so_isolation_is_by_session_a_claim_without_one_may_be_in_any_project()
    {
        var other = await CreateProjectAsync();

        var elsewhere = await StartSessionAsync(Coder.Id, projectId: other.Id);
        var task = await AddTaskAsync();
        var before = await SnapshotAsync();

        var refused = Assert.ThrowsAsync<ProjectIsolationException>(() => ClaimAsync(Coder.Id, elsewhere.SessionId))!;
        Assert.Multiple(() =>
        {
            Assert.That(refused.SubjectProjectId, Is.EqualTo(other.Id));
            Assert.That(refused.TargetProjectId, Is.EqualTo(Project.Id));
            Assert.That(refused.Message, Does.Contain(elsewhere.SessionId));
        });
        Assert.That(await SnapshotAsync(), Is.EqualTo(before), "the refused claim changed nothing");

        // As documented on IWorkClaimer: the same agent, while its session in the other project is live, claims here without one.
        var claimed = await ClaimAsync(Coder.Id, null);

        Assert.That(claimed!.Lease.WorkItemId, Is.EqualTo(task.Id));
        await using var check = CreateContext();
        var item = await check.WorkItems.SingleAsync(w => w.Id == task.Id);
        Assert.Multiple(async () =>
        {
            Assert.That(item.AssignedAgentId, Is.EqualTo(Coder.Id));
            Assert.That(item.AssignedAgentSession, Is.Null, "no session implements it");
            Assert.That((await check.AgentSessions.SingleAsync(s => s.SessionId == elsewhere.SessionId)).TaskId, Is.Null, "the other project's session is not bound to it");
        });
    }

    [Test]
    public async Task Assign_and_start_record_the_session_and_cancel_or_reassign_without_one_clear_it()
    {
        var task = await AddTaskAsync();
        var first = await StartSessionAsync(Coder.Id);
        var second = await StartSessionAsync(Coder.Id);

        var assigned = await Delegate(d => d.AssignAsync(task.Id, Assignee.Agent(Coder.Id), new DelegationOptions { SessionId = first.SessionId }));
        Assert.That(assigned.AssignedAgentSession, Is.EqualTo(first.SessionId));

        var started = await Delegate(d => d.StartAsync(task.Id, new DelegationOptions { SessionId = second.SessionId }));
        Assert.That(started.AssignedAgentSession, Is.EqualTo(second.SessionId), "the session that starts the work implements it");

        var paused = await Delegate(d => d.PauseAsync(task.Id, new DelegationOptions { SessionId = first.SessionId }));
        Assert.That(paused.AssignedAgentSession, Is.EqualTo(second.SessionId), "pause ignores the session");

        var reassigned = await Delegate(d => d.ReassignAsync(task.Id, Assignee.Agent(Reviewer.Id)));
        Assert.That(reassigned.AssignedAgentSession, Is.Null, "a new holder is not the old session");

        await using (var db = CreateContext())
        {
            Assert.That((await db.AgentSessions.SingleAsync(s => s.SessionId == second.SessionId)).TaskId, Is.EqualTo(task.Id));
            var startedEvent = await db.Events.SingleAsync(e => e.Type == OrchestrationEventTypes.WorkItemStarted);
            Assert.That(startedEvent.Payload!.SessionId, Is.EqualTo(second.SessionId));
        }

        var reviewerSession = await StartSessionAsync(Reviewer.Id);
        await Delegate(d => d.StartAsync(task.Id, new DelegationOptions { SessionId = reviewerSession.SessionId }));
        var cancelled = await Delegate(d => d.CancelAsync(task.Id));
        Assert.That(cancelled.AssignedAgentSession, Is.Null);
    }

    [Test]
    public async Task A_delegation_through_an_unusable_session_is_refused_and_changes_nothing()
    {
        var task = await AddTaskAsync();
        var reviewers = await StartSessionAsync(Reviewer.Id);
        var paused = await StartSessionAsync(Coder.Id);
        await WithAsync<ISessionService, AgentSession>(s => s.PauseAsync(paused.SessionId));
        var before = await SnapshotAsync();

        Assert.ThrowsAsync<ArgumentException>(() => Delegate(d => d.AssignAsync(task.Id, Assignee.Agent(Coder.Id), new DelegationOptions { SessionId = reviewers.SessionId })));
        Assert.ThrowsAsync<ArgumentException>(() => Delegate(d => d.AssignAsync(task.Id, Assignee.User(Guid.NewGuid()), new DelegationOptions { SessionId = reviewers.SessionId })));
        Assert.ThrowsAsync<SessionNotActiveException>(() => Delegate(d => d.AssignAsync(task.Id, Assignee.Agent(Coder.Id), new DelegationOptions { SessionId = paused.SessionId })));
        Assert.ThrowsAsync<EntityNotFoundException>(() => Delegate(d => d.AssignAsync(task.Id, Assignee.Agent(Coder.Id), new DelegationOptions { SessionId = "missing" })));

        Assert.That(await SnapshotAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Ending_a_session_while_it_claims_never_deadlocks_and_leaves_no_live_work_with_an_ended_session()
    {
        for (var round = 0; round < 8; round++)
        {
            var session = await StartSessionAsync(Coder.Id);
            await AddTaskAsync();
            var claim = Task.Run(async () =>
            {
                try
                {
                    return await ClaimAsync(Coder.Id, session.SessionId);
                }
                catch (SessionNotActiveException)
                {
                    return null;
                }
            });
            var end = Task.Run(() => WithAsync<ISessionService, AgentSession>(s => s.EndAsync(session.SessionId, SessionStatus.Failed)));
            await Task.WhenAll(claim, end);
        }

        await using var db = CreateContext();
        var ended = await db.AgentSessions.Where(s => s.Status != SessionStatus.Active).Select(s => s.SessionId).ToListAsync();
        var stranded = await db.WorkItems.Where(w => w.AssignedAgentSession != null && ended.Contains(w.AssignedAgentSession) && w.DelegationStatus != DelegationStatus.Unassigned).CountAsync();
        Assert.That(stranded, Is.Zero, "a failed session's claimed work is requeued whichever ran first");
    }
}
