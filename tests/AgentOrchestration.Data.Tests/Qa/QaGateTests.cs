using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Delegation;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Qa;

/// <summary>The QA gate on completion: required types per oversight level, the refusal, configuration, and a result racing a completion, on each provider.</summary>
public sealed class QaGateTests(DatabaseProvider provider) : QaFixture(provider)
{
    private static readonly QaType[] All = [QaType.CodeReview, QaType.FunctionalTest, QaType.MockDetection, QaType.SuccessCriteria];

    [Test]
    public async Task Completion_is_refused_listing_exactly_what_is_missing_and_leaves_the_database_unchanged()
    {
        var implementer = await StartSessionAsync(Coder.Id, OversightLevel.Strict);
        var reviewer = await StartSessionAsync(Reviewer.Id, type: SessionAgentType.Qa);
        var task = await AddTaskAsync();
        var claimed = (await ClaimAsync(Coder.Id, implementer.SessionId))!;
        var passed = await RecordAsync(task.Id, reviewer.SessionId, QaType.CodeReview, QaResultStatus.Pass);
        var failed = await RecordAsync(task.Id, reviewer.SessionId, QaType.FunctionalTest, QaResultStatus.Fail, "the happy path test fails");
        var warned = await RecordAsync(task.Id, reviewer.SessionId, QaType.SuccessCriteria, QaResultStatus.Warning);
        Clock.Advance(TimeSpan.FromMinutes(30));
        var before = await SnapshotAsync();

        var refused = Assert.ThrowsAsync<QaGateException>(() => CompleteAsync(claimed.Lease));

        Assert.That(refused!.WorkItemId, Is.EqualTo(task.Id));
        Assert.That(refused.OversightLevel, Is.EqualTo(OversightLevel.Strict));
        Assert.That(refused.RequiredTypes, Is.EqualTo(All));
        Assert.That(refused.Missing, Is.EqualTo(new[]
        {
            new QaShortfall(QaType.FunctionalTest, QaShortfallReason.Failed, failed.Id),
            new QaShortfall(QaType.MockDetection, QaShortfallReason.NoResult, null),
            new QaShortfall(QaType.SuccessCriteria, QaShortfallReason.Warning, warned.Id),
        }));
        Assert.That(refused.Message, Does.Contain("strict")
            .And.Contain("functional_test (the latest result")
            .And.Contain("mock_detection (no result)")
            .And.Contain("success_criteria (the latest result")
            .And.Not.Contain("code_review ("));
        Assert.That(passed.Status, Is.EqualTo(QaResultStatus.Pass));
        Assert.That(await SnapshotAsync(), Is.EqualTo(before));

        var state = await StateAsync(task.Id);
        Assert.That(state.Missing, Is.EqualTo(refused.Missing), "the state reports what the gate refuses on");
        Assert.That(state.ImplementingSessionId, Is.EqualTo(implementer.SessionId));
    }

    [Test]
    public async Task Failing_then_remediated_then_passing_work_completes()
    {
        var implementer = await StartSessionAsync(Coder.Id, OversightLevel.Enhanced);
        var reviewer = await StartSessionAsync(null, type: SessionAgentType.Qa);
        var task = await AddTaskAsync(WorkItemType.Bug);
        var claimed = (await ClaimAsync(Coder.Id, implementer.SessionId))!;
        await Delegate(d => d.StartAsync(task.Id, new DelegationOptions { FencingToken = claimed.Lease.FencingToken }));

        Clock.Advance(TimeSpan.FromHours(1));
        foreach (var type in new[] { QaType.CodeReview, QaType.SuccessCriteria })
        {
            await RecordAsync(task.Id, reviewer.SessionId, type, QaResultStatus.Pass);
        }

        await RecordAsync(task.Id, reviewer.SessionId, QaType.FunctionalTest, QaResultStatus.Fail, "timeout on retry is not handled");
        Assert.That((await ItemAsync(task.Id)).Status, Is.EqualTo(WorkItemStatus.InProgress));
        var refused = Assert.ThrowsAsync<QaGateException>(() => CompleteAsync(claimed.Lease));
        Assert.That(refused!.Missing.Select(m => (m.QaType, m.Reason)), Is.EqualTo(new[] { (QaType.FunctionalTest, QaShortfallReason.Failed) }));

        Clock.Advance(TimeSpan.FromHours(1));
        await RecordAsync(task.Id, reviewer.SessionId, QaType.FunctionalTest, QaResultStatus.Pass);
        await CompleteAsync(claimed.Lease);

        var done = await ItemAsync(task.Id);
        Assert.That((done.Status, done.DelegationStatus, done.QaStatus, done.SuccessCriteriaMet), Is.EqualTo((WorkItemStatus.Done, DelegationStatus.Completed, QaStatus.QaPassed, true)));
        Assert.That(done.ActualHours, Is.EqualTo(2m), "a send-back does not stop the clock");
        Assert.ThrowsAsync<InvalidStateTransitionException>(() => RecordAsync(task.Id, reviewer.SessionId, QaType.CodeReview, QaResultStatus.Fail, "too late"));
    }

    [Test]
    public async Task The_default_policy_escalates_by_oversight_level()
    {
        var policy = Services.GetRequiredService<QaPolicy>();
        Assert.That(policy.RequiredTypes(OversightLevel.Standard), Is.EqualTo(new[] { QaType.CodeReview, QaType.SuccessCriteria }));
        Assert.That(policy.RequiredTypes(OversightLevel.Enhanced), Is.EqualTo(new[] { QaType.CodeReview, QaType.FunctionalTest, QaType.SuccessCriteria }));
        Assert.That(policy.RequiredTypes(OversightLevel.Strict), Is.EqualTo(All));
        Assert.That(policy.RequiredTypes(OversightLevel.Direct), Is.EqualTo(All));
        Assert.That(Enum.GetValues<OversightLevel>().Select(policy.WarningsPass), Is.EqualTo(new[] { true, true, false, false }));
        Assert.That(policy.UnknownSessionLevel, Is.EqualTo(OversightLevel.Standard));

        foreach (var level in Enum.GetValues<OversightLevel>())
        {
            var session = await StartSessionAsync(Coder.Id, level);
            var task = await AddTaskAsync();
            var claimed = (await ClaimAsync(Coder.Id, session.SessionId))!;
            Assert.That(claimed.Lease.WorkItemId, Is.EqualTo(task.Id));

            var refused = Assert.ThrowsAsync<QaGateException>(() => CompleteAsync(claimed.Lease));

            Assert.That(refused!.OversightLevel, Is.EqualTo(level));
            Assert.That(refused.Missing.Select(m => m.QaType), Is.EqualTo(policy.RequiredTypes(level)), level.ToString());
            Assert.That(refused.Missing.Select(m => m.Reason), Is.All.EqualTo(QaShortfallReason.NoResult));
        }
    }

    [Test]
    public async Task A_configured_policy_decides_per_level_and_for_unknown_sessions()
    {
        await UseServicesAsync(o => o
            .ConfigureQa(p => p.Require(OversightLevel.Standard).Require(OversightLevel.Strict, QaType.MockDetection, QaType.CodeReview))
            .ConfigureQa(p =>
            {
                p.AcceptWarnings(OversightLevel.Strict, true);
                p.UnknownSessionLevel = OversightLevel.Enhanced;
            }));
        var standard = await StartSessionAsync(Coder.Id, OversightLevel.Standard);
        var strict = await StartSessionAsync(Coder.Id, OversightLevel.Strict);
        var reviewer = await StartSessionAsync(Reviewer.Id);

        var free = await AddTaskAsync();
        var freeClaim = (await ClaimAsync(Coder.Id, standard.SessionId))!;
        await CompleteAsync(freeClaim.Lease);
        Assert.That((await ItemAsync(free.Id)).Status, Is.EqualTo(WorkItemStatus.Done), "standard requires nothing here");

        var gated = await AddTaskAsync();
        var gatedClaim = (await ClaimAsync(Coder.Id, strict.SessionId))!;
        var refused = Assert.ThrowsAsync<QaGateException>(() => CompleteAsync(gatedClaim.Lease));
        Assert.That(refused!.Missing.Select(m => m.QaType), Is.EqualTo(new[] { QaType.CodeReview, QaType.MockDetection }));
        await RecordAsync(gated.Id, reviewer.SessionId, QaType.CodeReview, QaResultStatus.Warning);
        await RecordAsync(gated.Id, reviewer.SessionId, QaType.MockDetection, QaResultStatus.Pass);
        Assert.That((await ItemAsync(gated.Id)).QaStatus, Is.EqualTo(QaStatus.QaPassed), "warnings accepted at strict by configuration");
        await CompleteAsync(gatedClaim.Lease);

        var anonymous = await AddTaskAsync();
        var anonymousClaim = (await ClaimAsync(Coder.Id, null))!;
        var unknown = Assert.ThrowsAsync<QaGateException>(() => CompleteAsync(anonymousClaim.Lease));
        Assert.That(unknown!.OversightLevel, Is.EqualTo(OversightLevel.Enhanced), "no implementing session: the policy's level for unknown sessions");
        Assert.That(unknown.Missing.Select(m => m.QaType), Is.EqualTo(new[] { QaType.CodeReview, QaType.FunctionalTest, QaType.SuccessCriteria }));
        Assert.That(anonymous.Id, Is.EqualTo(anonymousClaim.Lease.WorkItemId));
    }

    [Test]
    public void The_policy_refuses_undefined_levels_and_types()
    {
        var policy = new QaPolicy();
        Assert.Throws<ArgumentOutOfRangeException>(() => policy.Require((OversightLevel)9, QaType.CodeReview));
        Assert.Throws<ArgumentOutOfRangeException>(() => policy.Require(OversightLevel.Strict, (QaType)9));
        Assert.Throws<ArgumentOutOfRangeException>(() => policy.AcceptWarnings((OversightLevel)9, true));
        Assert.Throws<ArgumentOutOfRangeException>(() => policy.UnknownSessionLevel = (OversightLevel)9);
        Assert.That(policy.RequiredTypes(OversightLevel.Strict), Is.EqualTo(All), "a refused change leaves the policy as it was");
        Assert.That(policy.RequireNone().RequiredTypes(OversightLevel.Direct), Is.Empty);
    }

    [Test]
    public async Task Delegated_tasks_are_gated_and_stories_are_not()
    {
        var implementer = await StartSessionAsync(Coder.Id);
        var task = await AddTaskAsync();
        var story = await AddTaskAsync(WorkItemType.Story);
        foreach (var item in new[] { task, story })
        {
            await Delegate(d => d.AssignAsync(item.Id, Assignee.Agent(Coder.Id), new DelegationOptions { SessionId = item == task ? implementer.SessionId : null }));
            await Delegate(d => d.StartAsync(item.Id));
        }

        var refused = Assert.ThrowsAsync<QaGateException>(() => Delegate(d => d.CompleteAsync(task.Id)));
        Assert.That(refused!.Missing, Has.Count.EqualTo(2));
        var done = await Delegate(d => d.CompleteAsync(story.Id));
        Assert.That(done.Status, Is.EqualTo(WorkItemStatus.Done));
    }

    [Test]
    public async Task A_passing_result_racing_a_completion_never_lets_the_completion_through_without_it()
    {
        const int rounds = 12;
        var implementer = await StartSessionAsync(Coder.Id);
        var reviewer = await StartSessionAsync(Reviewer.Id);
        var leases = new List<WorkLease>();
        for (var i = 0; i < rounds; i++)
        {
            var task = await AddTaskAsync();
            var claimed = (await ClaimAsync(Coder.Id, implementer.SessionId))!;
            Assert.That(claimed.Lease.WorkItemId, Is.EqualTo(task.Id));
            await RecordAsync(task.Id, reviewer.SessionId, QaType.CodeReview, QaResultStatus.Pass);
            leases.Add(claimed.Lease);
        }

        var outcomes = await Task.WhenAll(leases.Select(async lease =>
        {
            var record = Task.Run(() => Outcome(() => RecordAsync(lease.WorkItemId, reviewer.SessionId, QaType.SuccessCriteria, QaResultStatus.Pass)));
            var complete = Task.Run(() => Outcome(() => CompleteAsync(lease)));
            return (Lease: lease, Recorded: await record, Completed: await complete);
        }));

        await using var db = CreateContext();
        foreach (var (lease, recorded, completed) in outcomes)
        {
            var item = await db.WorkItems.AsNoTracking().SingleAsync(w => w.Id == lease.WorkItemId);
            var results = await db.QaResults.CountAsync(r => r.TaskId == lease.WorkItemId && r.QaType == QaType.SuccessCriteria);
            Assert.That(recorded, Is.Null, "the passing result is always recorded: completion cannot get ahead of it");
            Assert.That(results, Is.EqualTo(1));
            Assert.That(completed, Is.Null.Or.TypeOf<QaGateException>());
            Assert.That(item.Status == WorkItemStatus.Done, Is.EqualTo(completed is null));
        }

        TestContext.Out.WriteLine($"completions that won after the result: {outcomes.Count(o => o.Completed is null)} of {rounds}");
    }

    [Test]
    public async Task A_failing_result_racing_a_completion_never_both_succeed()
    {
        const int rounds = 12;
        var implementer = await StartSessionAsync(Coder.Id);
        var reviewer = await StartSessionAsync(Reviewer.Id);
        var leases = new List<WorkLease>();
        for (var i = 0; i < rounds; i++)
        {
            await AddTaskAsync();
            var claimed = (await ClaimAsync(Coder.Id, implementer.SessionId))!;
            await RecordAsync(claimed.Lease.WorkItemId, reviewer.SessionId, QaType.CodeReview, QaResultStatus.Pass);
            await RecordAsync(claimed.Lease.WorkItemId, reviewer.SessionId, QaType.SuccessCriteria, QaResultStatus.Pass);
            leases.Add(claimed.Lease);
        }

        var outcomes = await Task.WhenAll(leases.Select(async lease =>
        {
            var record = Task.Run(() => Outcome(() => RecordAsync(lease.WorkItemId, reviewer.SessionId, QaType.CodeReview, QaResultStatus.Fail, "found a bug")));
            var complete = Task.Run(() => Outcome(() => CompleteAsync(lease)));
            return (Lease: lease, Recorded: await record, Completed: await complete);
        }));

        await using var db = CreateContext();
        foreach (var (lease, recorded, completed) in outcomes)
        {
            Assert.That(recorded is null ^ completed is null, Is.True, $"exactly one wins: {recorded?.GetType().Name} / {completed?.GetType().Name}");
            var item = await db.WorkItems.AsNoTracking().SingleAsync(w => w.Id == lease.WorkItemId);
            if (completed is null)
            {
                Assert.That(recorded, Is.TypeOf<InvalidStateTransitionException>());
                Assert.That((item.Status, item.QaStatus), Is.EqualTo((WorkItemStatus.Done, QaStatus.QaPassed)));
            }
            else
            {
                Assert.That(completed, Is.TypeOf<QaGateException>());
                Assert.That((item.Status, item.QaStatus), Is.EqualTo((WorkItemStatus.InProgress, QaStatus.QaFailed)));
            }
        }
    }

    private static async Task<Exception?> Outcome(Func<Task> action)
    {
        try
        {
            await action();
            return null;
        }
        catch (AgentOrchestrationException exception)
        {
            return exception;
        }
    }
}
