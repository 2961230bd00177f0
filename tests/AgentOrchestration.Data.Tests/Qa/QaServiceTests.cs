using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Delegation;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Tests.Qa;

/// <summary>Recording QA results: the QA state machine, send-back with remediation, success criteria, and every refusal, on each provider.</summary>
public sealed class QaServiceTests(DatabaseProvider provider) : QaFixture(provider)
{
    private AgentSession implementer = null!;
    private AgentSession reviewer = null!;
    private WorkItem task = null!;
    private ClaimedWork claimed = null!;

    [SetUp]
    public async Task ClaimTaskAsync()
    {
        implementer = await StartSessionAsync(Coder.Id);
        reviewer = await StartSessionAsync(Reviewer.Id, type: SessionAgentType.Qa);
        task = await AddTaskAsync();
        claimed = (await ClaimAsync(Coder.Id, implementer.SessionId))!;
        Clock.Advance(TimeSpan.FromMinutes(1));
    }

    [Test]
    public async Task A_passing_result_puts_the_task_in_qa_and_under_review_and_the_last_required_pass_makes_it_qa_passed()
    {
        var first = await RecordAsync(task.Id, reviewer.SessionId, QaType.CodeReview, QaResultStatus.Pass);

        var item = await ItemAsync(task.Id);
        Assert.That(item.QaStatus, Is.EqualTo(QaStatus.InQa), "standard also needs success_criteria");
        Assert.That(item.Status, Is.EqualTo(WorkItemStatus.InReview));
        Assert.That(item.DelegationStatus, Is.EqualTo(DelegationStatus.Assigned), "QA does not change who holds the work");
        Assert.That(first.AgentSessionId, Is.EqualTo(reviewer.SessionId));
        Assert.That(first.RecordedAt, Is.EqualTo(Clock.GetUtcNow()));

        await RecordAsync(task.Id, reviewer.SessionId, QaType.SuccessCriteria, QaResultStatus.Pass);

        item = await ItemAsync(task.Id);
        Assert.That(item.QaStatus, Is.EqualTo(QaStatus.QaPassed));
        Assert.That(item.SuccessCriteriaMet, Is.True);
        var events = (await EventsAsync("qa.")).Select(e => (e.Type, e.Payload!.From, e.Payload.To)).ToList();
        Assert.That(events, Is.EqualTo(new (string, string?, string?)[]
        {
            (OrchestrationEventTypes.QaStarted, "not_started", "in_qa"),
            (OrchestrationEventTypes.QaResultRecorded, null, null),
            (OrchestrationEventTypes.QaResultRecorded, null, null),
            (OrchestrationEventTypes.QaPassed, "in_qa", "qa_passed"),
        }));
        var recorded = (await EventsAsync(OrchestrationEventTypes.QaResultRecorded)).First();
        Assert.That(recorded.Payload!.Data.Select(d => (d.Key, d.Value)), Does.Contain(("qa_type", "code_review")).And.Contain(("status", "pass")));
        Assert.That(recorded.EntityId, Is.EqualTo(first.Id));
    }

    [Test]
    public async Task A_recorded_result_carries_its_tasks_project_for_the_pass_rate_index()
    {
        var recorded = await RecordAsync(task.Id, reviewer.SessionId, QaType.CodeReview, QaResultStatus.Warning);

        Assert.That(recorded.ProjectId, Is.EqualTo(Project.Id));
        await using var db = CreateContext();
        var stored = await db.Set<QaResult>().AsNoTracking().Where(r => r.Id == recorded.Id).Select(r => r.ProjectId).SingleAsync();
        var taskProject = await db.WorkItems.AsNoTracking().Where(w => w.Id == task.Id).Select(w => w.ProjectId).SingleAsync();
        Assert.That(stored, Is.EqualTo(taskProject));
        Assert.That(stored, Is.EqualTo(Project.Id));
    }

    [Test]
    public async Task A_failing_result_sends_the_work_back_to_its_holder_with_the_remediation_and_a_new_pass_reenters_qa()
    {
        await Delegate(d => d.StartAsync(task.Id, new DelegationOptions { FencingToken = claimed.Lease.FencingToken }));
        await RecordAsync(task.Id, reviewer.SessionId, QaType.SuccessCriteria, QaResultStatus.Pass);
        const string remediation = "OrderService.Place swallows the payment error; surface it and add a test.";

        var failed = await Qa(q => q.RecordResultAsync(new NewQaResult(task.Id, reviewer.SessionId, QaType.CodeReview, QaResultStatus.Fail)
        {
            RemediationNeeded = remediation,
            Findings = [new QaFinding { Severity = "major", Message = "exception swallowed", File = "src/OrderService.cs", Line = 42 }],
        }));

        var item = await ItemAsync(task.Id);
        Assert.That(item.QaStatus, Is.EqualTo(QaStatus.QaFailed));
        Assert.That(item.Status, Is.EqualTo(WorkItemStatus.InProgress), "back to the implementer");
        Assert.That(item.DelegationStatus, Is.EqualTo(DelegationStatus.InProgress));
        Assert.That(item.AssigneeId, Is.EqualTo(Coder.Id));
        Assert.That(item.CurrentAssignmentId, Is.EqualTo(claimed.Lease.AssignmentId), "the delegation stays with the holder");
        Assert.That(item.AssignedAgentSession, Is.EqualTo(implementer.SessionId));
        var note = item.DelegationHistory!.Last();
        Assert.That((note.Action, note.FromStatus, note.ToStatus, note.Actor), Is.EqualTo(("send_back", (DelegationStatus?)DelegationStatus.InProgress, DelegationStatus.InProgress, reviewer.SessionId)));
        Assert.That(note.Note, Does.Contain(remediation).And.Contain("code_review"));
        var sentBack = (await EventsAsync(OrchestrationEventTypes.WorkItemSentBack)).Single();
        Assert.That((sentBack.Payload!.From, sentBack.Payload.To, sentBack.Payload.Reason, sentBack.Payload.SessionId), Is.EqualTo(("in_review", "in_progress", remediation, implementer.SessionId)));
        var qaFailed = (await EventsAsync(OrchestrationEventTypes.QaFailed)).Single();
        Assert.That((qaFailed.Payload!.From, qaFailed.Payload.To, qaFailed.Payload.Reason), Is.EqualTo(("in_qa", "qa_failed", remediation)));
        Assert.That(qaFailed.Payload.Data.Select(d => (d.Key, d.Value)), Does.Contain(("qa_result_id", failed.Id.ToString())));

        await using (var db = CreateContext())
        {
            var stored = await db.QaResults.SingleAsync(r => r.Id == failed.Id);
            Assert.That(stored.Findings!.Single().Line, Is.EqualTo(42));
            Assert.That(stored.RemediationNeeded, Is.EqualTo(remediation));
        }

        Clock.Advance(TimeSpan.FromHours(1));
        await RecordAsync(task.Id, reviewer.SessionId, QaType.CodeReview, QaResultStatus.Pass);

        item = await ItemAsync(task.Id);
        Assert.That(item.QaStatus, Is.EqualTo(QaStatus.QaPassed), "the latest code_review passes and success_criteria passed before");
        Assert.That(item.Status, Is.EqualTo(WorkItemStatus.InReview));
        var transitions = (await EventsAsync("qa.")).Where(e => e.Type != OrchestrationEventTypes.QaResultRecorded).Select(e => $"{e.Payload!.From}->{e.Payload.To}");
        Assert.That(transitions, Is.EqualTo(new[] { "not_started->in_qa", "in_qa->qa_failed", "qa_failed->in_qa", "in_qa->qa_passed" }));
    }

    [Test]
    public async Task A_repeated_failure_keeps_the_task_failed_and_sends_the_new_remediation()
    {
        await RecordAsync(task.Id, reviewer.SessionId, QaType.FunctionalTest, QaResultStatus.Fail, "test A fails");
        await RecordAsync(task.Id, reviewer.SessionId, QaType.MockDetection, QaResultStatus.Fail, "the repository is a stub");

        var item = await ItemAsync(task.Id);
        Assert.That(item.QaStatus, Is.EqualTo(QaStatus.QaFailed), "a failure of a type the level does not require sends back too");
        Assert.That((await EventsAsync(OrchestrationEventTypes.QaStarted)).Count, Is.EqualTo(1), "no re-entry between two failures");
        Assert.That((await EventsAsync(OrchestrationEventTypes.WorkItemSentBack)).Select(e => e.Payload!.Reason), Is.EqualTo(new[] { "test A fails", "the repository is a stub" }));
    }

    [Test]
    public async Task The_success_criteria_flag_follows_the_latest_success_criteria_result()
    {
        await RecordAsync(task.Id, reviewer.SessionId, QaType.SuccessCriteria, QaResultStatus.Fail, "criterion 2 is not met");
        Assert.That((await ItemAsync(task.Id)).SuccessCriteriaMet, Is.False);

        await RecordAsync(task.Id, reviewer.SessionId, QaType.SuccessCriteria, QaResultStatus.Warning);
        Assert.That((await ItemAsync(task.Id)).SuccessCriteriaMet, Is.True, "a warning meets the criteria");

        await RecordAsync(task.Id, reviewer.SessionId, QaType.CodeReview, QaResultStatus.Pass, met: false);
        Assert.That((await ItemAsync(task.Id)).SuccessCriteriaMet, Is.True, "other types do not decide it");

        var state = await StateAsync(task.Id);
        Assert.That(state.SuccessCriteriaMet, Is.True);
        Assert.That(state.LatestResults.Select(r => (r.QaType, r.Status)), Is.EqualTo(new[] { (QaType.CodeReview, QaResultStatus.Pass), (QaType.SuccessCriteria, QaResultStatus.Warning) }));
        Assert.That(state.QaStatus, Is.EqualTo(QaStatus.QaPassed), "warnings pass at standard");
        Assert.That((await Qa(q => q.ListResultsAsync(task.Id))).Count, Is.EqualTo(3));
    }

    [Test]
    public async Task Starting_qa_explicitly_follows_the_state_machine()
    {
        var started = await Qa(q => q.StartQaAsync(task.Id, reviewer.SessionId));
        Assert.That((started.QaStatus, started.Status), Is.EqualTo((QaStatus.InQa, WorkItemStatus.InReview)));

        var again = Assert.ThrowsAsync<InvalidStateTransitionException>(() => Qa(q => q.StartQaAsync(task.Id, reviewer.SessionId)));
        Assert.That((again!.Current, again.Requested), Is.EqualTo(("in_qa", "in_qa")));

        await RecordAsync(task.Id, reviewer.SessionId, QaType.CodeReview, QaResultStatus.Fail, "rename the API");
        var restarted = await Qa(q => q.StartQaAsync(task.Id, reviewer.SessionId));
        Assert.That((restarted.QaStatus, restarted.Status), Is.EqualTo((QaStatus.InQa, WorkItemStatus.InReview)), "qa_failed -> in_qa");

        await RecordAsync(task.Id, reviewer.SessionId, QaType.CodeReview, QaResultStatus.Pass);
        await RecordAsync(task.Id, reviewer.SessionId, QaType.SuccessCriteria, QaResultStatus.Pass);
        var passed = Assert.ThrowsAsync<InvalidStateTransitionException>(() => Qa(q => q.StartQaAsync(task.Id, reviewer.SessionId)));
        Assert.That(passed!.Current, Is.EqualTo("qa_passed"));
    }

    [Test]
    public async Task Qa_of_unheld_work_changes_only_its_qa_status()
    {
        var loose = await AddTaskAsync(priority: 5);
        await RecordAsync(loose.Id, reviewer.SessionId, QaType.CodeReview, QaResultStatus.Fail, "nothing implemented yet");

        var item = await ItemAsync(loose.Id);
        Assert.That((item.QaStatus, item.Status, item.DelegationStatus), Is.EqualTo((QaStatus.QaFailed, WorkItemStatus.Todo, DelegationStatus.Unassigned)));
        Assert.That(item.DelegationHistory, Is.Null.Or.Empty, "nothing to send back");
        Assert.That(await EventsAsync(OrchestrationEventTypes.WorkItemSentBack), Is.Empty);
    }

    [Test]
    public async Task The_implementing_session_cannot_review_its_own_work()
    {
        var before = await SnapshotAsync();

        var refused = Assert.ThrowsAsync<QaSelfReviewException>(() => RecordAsync(task.Id, implementer.SessionId, QaType.CodeReview, QaResultStatus.Pass));
        Assert.That((refused!.WorkItemId, refused.SessionId), Is.EqualTo((task.Id, implementer.SessionId)));
        Assert.That(refused.Message, Does.Contain(implementer.SessionId).And.Contain("another session"));
        Assert.ThrowsAsync<QaSelfReviewException>(() => Qa(q => q.StartQaAsync(task.Id, implementer.SessionId)));

        Assert.That(await SnapshotAsync(), Is.EqualTo(before));

        var sameAgentOtherSession = await StartSessionAsync(Coder.Id, type: SessionAgentType.Qa);
        await RecordAsync(task.Id, sameAgentOtherSession.SessionId, QaType.CodeReview, QaResultStatus.Pass);
        Assert.That((await ItemAsync(task.Id)).QaStatus, Is.EqualTo(QaStatus.InQa), "the rule is per session, as the design says");
    }

    [Test]
    public async Task Work_claimed_without_a_session_cannot_be_reviewed_by_any_session_of_its_holder()
    {
        var loose = await AddTaskAsync(priority: 1);
        var claimed = await ClaimAsync(Coder.Id, sessionId: null);
        Assert.That(claimed?.Lease.WorkItemId, Is.EqualTo(loose.Id));
        var coderSession = await StartSessionAsync(Coder.Id, type: SessionAgentType.Qa);
        var before = await SnapshotAsync();

        // No implementing session was recorded, so any of the holder's sessions might be the one that did the work.
        var refused = Assert.ThrowsAsync<QaSelfReviewException>(() => RecordAsync(loose.Id, coderSession.SessionId, QaType.CodeReview, QaResultStatus.Pass));
        Assert.That(refused!.SessionId, Is.EqualTo(coderSession.SessionId));
        Assert.That(await SnapshotAsync(), Is.EqualTo(before));

        await RecordAsync(loose.Id, reviewer.SessionId, QaType.CodeReview, QaResultStatus.Pass);
        Assert.That((await ItemAsync(loose.Id)).QaStatus, Is.EqualTo(QaStatus.InQa), "another agent's session reviews it");
    }

    [Test]
    public async Task Results_from_unusable_sessions_or_on_finished_or_unknown_work_are_refused_and_change_nothing()
    {
        var other = await CreateProjectAsync();
        var story = await AddTaskAsync(WorkItemType.Story);
        var done = await AddTaskAsync();
        await using (var db = CreateContext())
        {
            await db.WorkItems.Where(w => w.Id == done.Id).ExecuteUpdateAsync(u => u.SetProperty(w => w.Status, WorkItemStatus.Done));
            await db.SaveChangesAsync();
        }

        var elsewhere = await StartSessionAsync(Reviewer.Id, projectId: other.Id);
        var ended = await StartSessionAsync(Reviewer.Id);
        await WithAsync<ISessionService, AgentSession>(s => s.EndAsync(ended.SessionId, SessionStatus.Completed));
        var before = await SnapshotAsync();

        Assert.ThrowsAsync<EntityNotFoundException>(() => RecordAsync(task.Id, "nobody", QaType.CodeReview, QaResultStatus.Pass));
        Assert.ThrowsAsync<EntityNotFoundException>(() => RecordAsync(Guid.NewGuid(), reviewer.SessionId, QaType.CodeReview, QaResultStatus.Pass));
        Assert.ThrowsAsync<SessionNotActiveException>(() => RecordAsync(task.Id, ended.SessionId, QaType.CodeReview, QaResultStatus.Pass));
        Assert.ThrowsAsync<ProjectIsolationException>(() => RecordAsync(task.Id, elsewhere.SessionId, QaType.CodeReview, QaResultStatus.Pass));
        var finished = Assert.ThrowsAsync<InvalidStateTransitionException>(() => RecordAsync(done.Id, reviewer.SessionId, QaType.CodeReview, QaResultStatus.Pass));
        Assert.That(finished!.Current, Is.EqualTo("done"));
        var notATask = Assert.ThrowsAsync<ArgumentException>(() => RecordAsync(story.Id, reviewer.SessionId, QaType.CodeReview, QaResultStatus.Pass));
        Assert.That(notATask!.Message, Does.Contain("story"));

        Assert.That(await SnapshotAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Invalid_results_are_refused_before_anything_is_written()
    {
        var before = await SnapshotAsync();
        NewQaResult Result(QaType type = QaType.CodeReview, QaResultStatus status = QaResultStatus.Pass) => new(task.Id, reviewer.SessionId, type, status);

        var noRemediation = Assert.ThrowsAsync<ArgumentException>(() => Qa(q => q.RecordResultAsync(Result(status: QaResultStatus.Fail))));
        Assert.That(noRemediation!.Message, Does.Contain("RemediationNeeded"));
        Assert.ThrowsAsync<ArgumentException>(() => Qa(q => q.RecordResultAsync(Result(status: QaResultStatus.Fail) with { RemediationNeeded = "   " })));
        Assert.ThrowsAsync<ArgumentException>(() => Qa(q => q.RecordResultAsync(Result() with { RemediationNeeded = new string('x', NewQaResult.MaxRemediationLength + 1) })));
        var contradiction = Assert.ThrowsAsync<ArgumentException>(() => Qa(q => q.RecordResultAsync(Result(QaType.SuccessCriteria) with { SuccessCriteriaMet = false })));
        Assert.That(contradiction!.Message, Does.Contain("success_criteria").And.Contain("pass"));
        Assert.ThrowsAsync<ArgumentException>(() => Qa(q => q.RecordResultAsync(Result(QaType.SuccessCriteria, QaResultStatus.Fail) with { RemediationNeeded = "x", SuccessCriteriaMet = true })));
        Assert.ThrowsAsync<ArgumentException>(() => Qa(q => q.RecordResultAsync(Result() with { Findings = [new QaFinding { Message = " " }] })));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Qa(q => q.RecordResultAsync(Result() with { Findings = [new QaFinding { Message = "ok", Line = 0 }] })));
        Assert.ThrowsAsync<ArgumentNullException>(() => Qa(q => q.RecordResultAsync(Result() with { MockViolations = [new MockViolation { Description = null! }] })));
        Assert.ThrowsAsync<ArgumentException>(() => Qa(q => q.RecordResultAsync(Result() with { Findings = Enumerable.Range(0, NewQaResult.MaxEntries + 1).Select(i => new QaFinding { Message = $"f{i}" }).ToList() })));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Qa(q => q.RecordResultAsync(Result((QaType)42))));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Qa(q => q.RecordResultAsync(Result(status: (QaResultStatus)7))));
        Assert.ThrowsAsync<ArgumentException>(() => Qa(q => q.RecordResultAsync(Result() with { SessionId = "" })));
        Assert.ThrowsAsync<ArgumentNullException>(() => Qa(q => q.RecordResultAsync(null!)));

        Assert.That(await SnapshotAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Reading_the_state_of_unknown_work_is_refused_and_stories_need_no_qa()
    {
        Assert.ThrowsAsync<EntityNotFoundException>(() => StateAsync(Guid.NewGuid()));
        var story = await AddTaskAsync(WorkItemType.Story);

        var state = await StateAsync(story.Id);

        Assert.That(state.RequiredTypes, Is.Empty);
        Assert.That(state.CanComplete, Is.True);
    }
}
