using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Backlog;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Sprints;
using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Tests.Flow;

/// <summary>
/// The whole flow of both seeds on one database, through the library's services only: backlog → analysis → story →
/// tasks in a sprint → claims through sessions → QA fails → remediation → QA passes → done; every table and every
/// event checked along the way, with the default QA policy.
/// </summary>
public sealed class OrchestrationFlowTests(DatabaseProvider provider) : OrchestrationFixture(provider)
{
    private long seen;

    [SetUp]
    public void StartReading() => seen = 0;

    [Test]
    public async Task Backlog_to_done_through_claims_and_a_failed_then_passed_qa()
    {
        // The team and the project.
        var project = await Use<IWorkItemService, Project>(w => w.CreateProjectAsync(Faker.Project()));
        var prime = await Use<IAgentRegistry, AgentProfile>(r => r.RegisterAsync(Agent("analysis")));
        var dev = await Use<IAgentRegistry, AgentProfile>(r => r.RegisterAsync(Agent("csharp")));
        await ExpectEventsAsync(OrchestrationEventTypes.ProjectCreated, OrchestrationEventTypes.AgentRegistered, OrchestrationEventTypes.AgentRegistered);

        // Backlog: submitted, analysed by the prime agent, ready, promoted to a story and approved.
        var idea = await Use<IBacklogService, BacklogItem>(b => b.SubmitAsync(
            Faker.BacklogSubmission(project.Id) with { Priority = 1, BusinessValue = 9, Complexity = Complexity.Complex }));
        Assert.That((idea.Status, idea.RiskScore), Is.EqualTo((BacklogStatus.Backlog, 55 + 9 + 10)), "the default risk strategy scored it");
        await Use<IBacklogService, BacklogItem>(b => b.StartAnalysisAsync(idea.Id, prime.Slug));
        Clock.Advance(TimeSpan.FromMinutes(5));
        await Use<IBacklogService, BacklogItem>(b => b.RecordAnalysisAsync(idea.Id, Faker.BacklogAnalysis(prime.Slug) with { RiskScore = 70, PrimeNotes = "Needs a race test." }));
        idea = await Use<IBacklogService, BacklogItem>(b => b.MarkReadyAsync(idea.Id, prime.Slug));
        var sprint = await Use<ISprintService, Sprint>(s => s.PlanAsync(Faker.Sprint(project.Id)));
        var story = await Use<IBacklogService, WorkItem>(b => b.PromoteAsync(idea.Id, Faker.BacklogPromotion(prime.Slug) with { SprintId = sprint.Id }));
        story = await Use<IBacklogService, WorkItem>(b => b.ApproveStoryAsync(story.Id, prime.Slug));
        await ExpectEventsAsync(OrchestrationEventTypes.BacklogSubmitted, OrchestrationEventTypes.BacklogAnalysisStarted, OrchestrationEventTypes.BacklogAnalyzed, OrchestrationEventTypes.BacklogReady, OrchestrationEventTypes.SprintPlanned,
            OrchestrationEventTypes.BacklogPromoted, OrchestrationEventTypes.WorkItemCreated, OrchestrationEventTypes.StoryApproved);
        await using (var db = CreateContext())
        {
            var row = await db.Backlog.SingleAsync();
            Assert.That((row.Status, row.AssignedToAgent, row.RiskScore, row.PrimeNotes, row.LastAnalyzed),
                Is.EqualTo((BacklogStatus.Ready, prime.Slug, 70, "Needs a race test.", (DateTimeOffset?)Clock.GetUtcNow())));
            var stored = await db.WorkItems.SingleAsync(w => w.Id == story.Id);
            Assert.That((stored.Type, stored.CreatedFromBacklogId, stored.PrimeApproved, stored.SprintId), Is.EqualTo((WorkItemType.Story, (Guid?)idea.Id, true, (Guid?)sprint.Id)));
        }

        // Two tasks under the story: the second waits for the first. Both join the sprint, which starts.
        var design = await Use<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(Task(project, story, 1)));
        var build = await Use<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(Task(project, story, 2)));
        await Use<IWorkItemService, bool>(async w =>
        {
            await w.AddDependencyAsync(build.Id, design.Id);
            return true;
        });
        await Use<ISprintService, int>(s => s.AddWorkAsync(sprint.Id, [design.Id, build.Id]));
        await Use<ISprintService, Sprint>(s => s.StartAsync(sprint.Id));
        Assert.That((await Use<IWorkItemService, IReadOnlyList<WorkItem>>(w => w.GetReadyWorkAsync(project.Id))).Select(w => w.Id), Is.EqualTo(new[] { design.Id }));
        await ExpectEventsAsync(OrchestrationEventTypes.WorkItemCreated, OrchestrationEventTypes.WorkItemCreated, OrchestrationEventTypes.WorkItemDependencyAdded, OrchestrationEventTypes.SprintWorkAdded, OrchestrationEventTypes.SprintWorkAdded, OrchestrationEventTypes.SprintStarted);

        // The developer works through a session: claim, lock, heartbeat.
        var devSession = await Use<ISessionService, AgentSession>(s => s.StartAsync(Faker.Session(project.Id, dev.Id)));
        var reviewer = await Use<ISessionService, AgentSession>(s => s.StartAsync(Faker.Session(project.Id, agentType: SessionAgentType.Qa)));
        var claimed = await Use<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(dev.Id, project.Id, Faker.Claim(devSession.SessionId)));
        Assert.That(claimed?.Lease.WorkItemId, Is.EqualTo(design.Id));
        await Use<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.AcquireAsync(devSession.SessionId, ["src/Claims/**"], FileLockType.Exclusive, TimeSpan.FromMinutes(10)));
        await WorkAsync(devSession, "writing the claim SQL");
        await ExpectEventsAsync([OrchestrationEventTypes.SessionStarted, OrchestrationEventTypes.SessionStarted, OrchestrationEventTypes.WorkItemClaimed, OrchestrationEventTypes.FileLockAcquired, OrchestrationEventTypes.SessionActionChanged, .. Enumerable.Repeat(OrchestrationEventTypes.FileLockRenewed, 15)]);
        await using (var db = CreateContext())
        {
            var item = await db.WorkItems.SingleAsync(w => w.Id == design.Id);
            Assert.That((item.DelegationStatus, item.AssignedAgentId, item.AssignedAgentSession), Is.EqualTo((DelegationStatus.Assigned, (Guid?)dev.Id, devSession.SessionId)));
            Assert.That(await db.TaskAssignments.SingleAsync(), Has.Property(nameof(TaskAssignment.Status)).EqualTo(AssignmentStatus.Assigned));
            Assert.That(await db.FileLocks.Select(l => l.LockedBySession).SingleAsync(), Is.EqualTo(devSession.SessionId));
        }

        // Completing before QA is refused, naming what the standard oversight level still needs; nothing changes.
        var refused = Assert.ThrowsAsync<QaGateException>(() => Use<IWorkClaimer, bool>(async c =>
        {
            await c.CompleteAsync(claimed!.Lease);
            return true;
        }));
        Assert.That(refused!.Missing.Select(m => m.QaType), Is.EquivalentTo(new[] { QaType.CodeReview, QaType.SuccessCriteria }));
        Assert.That(await NewEventsAsync(), Is.Empty);

        // The implementer may not review itself; the reviewer fails the code review with a remediation.
        Assert.ThrowsAsync<QaSelfReviewException>(() => Use<IQaService, QaResult>(q => q.RecordResultAsync(Faker.QaResult(design.Id, devSession.SessionId))));
        await Use<IQaService, QaResult>(q => q.RecordResultAsync(Faker.QaResult(design.Id, reviewer.SessionId, QaType.CodeReview, QaResultStatus.Fail) with
        {
            RemediationNeeded = "Add a test for two racing claims.",
            Findings = [new QaFinding { Severity = "major", Message = "no race test", File = "src/Claims/Claim.cs" }],
        }));
        var events = await NewEventsAsync();
        Assert.That(events.Select(e => e.Type), Is.SupersetOf(new[] { OrchestrationEventTypes.QaResultRecorded, OrchestrationEventTypes.QaFailed, OrchestrationEventTypes.WorkItemSentBack }));
        Assert.That(events.Single(e => e.Type == OrchestrationEventTypes.WorkItemSentBack).Payload!.Reason, Does.Contain("racing claims"));
        await using (var db = CreateContext())
        {
            var item = await db.WorkItems.SingleAsync(w => w.Id == design.Id);
            Assert.That((item.QaStatus, item.Status, item.DelegationStatus), Is.EqualTo((QaStatus.QaFailed, WorkItemStatus.InProgress, DelegationStatus.Assigned)));
            var result = await db.QaResults.SingleAsync();
            Assert.That((result.AgentSessionId, result.Status, result.RemediationNeeded, result.Findings!.Single().Message),
                Is.EqualTo((reviewer.SessionId, QaResultStatus.Fail, "Add a test for two racing claims.", "no race test")));
        }

        // Remediation, then both required reviews pass and the task completes; its dependant becomes ready.
        await WorkAsync(devSession, "adding the race test");
        await Use<IQaService, QaResult>(q => q.RecordResultAsync(Faker.QaResult(design.Id, reviewer.SessionId)));
        await Use<IQaService, QaResult>(q => q.RecordResultAsync(Faker.QaResult(design.Id, reviewer.SessionId, QaType.SuccessCriteria) with { SuccessCriteriaMet = true }));
        await Use<IWorkClaimer, bool>(async c =>
        {
            await c.CompleteAsync(claimed!.Lease);
            return true;
        });
        await Use<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.ReleaseAllAsync(devSession.SessionId));
        events = await NewEventsAsync();
        Assert.That(events.Select(e => e.Type), Is.SupersetOf(new[] { OrchestrationEventTypes.SessionActionChanged, OrchestrationEventTypes.QaPassed, OrchestrationEventTypes.WorkItemCompleted, OrchestrationEventTypes.FileLockReleased }));
        Assert.That(events.Count(e => e.Type == OrchestrationEventTypes.QaResultRecorded), Is.EqualTo(2));
        await using (var db = CreateContext())
        {
            var item = await db.WorkItems.SingleAsync(w => w.Id == design.Id);
            Assert.That((item.Status, item.DelegationStatus, item.QaStatus, item.SuccessCriteriaMet), Is.EqualTo((WorkItemStatus.Done, DelegationStatus.Completed, QaStatus.QaPassed, true)));
            Assert.That(item.ActualHours, Is.EqualTo(1.0m), "an hour from claim to completion");
            Assert.That(item.DelegationHistory!.Select(h => h.Action), Is.SupersetOf(new[] { "claim", "complete" }));
            Assert.That(await db.TaskAssignments.SingleAsync(), Has.Property(nameof(TaskAssignment.Status)).EqualTo(AssignmentStatus.Completed));
            Assert.That(await db.FileLocks.CountAsync(), Is.Zero);
            Assert.That(await db.QaResults.CountAsync(), Is.EqualTo(3));
        }

        Assert.That((await Use<IWorkItemService, IReadOnlyList<WorkItem>>(w => w.GetReadyWorkAsync(project.Id))).Select(w => w.Id), Is.EqualTo(new[] { build.Id }));

        // The sprint's progress shows it; ending the sprint returns the unfinished work to no sprint.
        var progress = await Use<ISprintService, SprintProgress>(s => s.GetProgressAsync(sprint.Id));
        Assert.That((progress.DoneItems, progress.ActualHours), Is.EqualTo((1, 1.0m)));
        var completion = await Use<ISprintService, SprintCompletion>(s => s.CompleteAsync(sprint.Id));
        Assert.That(completion.ReturnedItemIds, Is.EquivalentTo(new[] { story.Id, build.Id }), "the unfinished story and task leave the sprint");
        await Use<ISessionService, AgentSession>(s => s.EndAsync(devSession.SessionId, SessionStatus.Completed));
        events = await NewEventsAsync();
        Assert.That(events.Select(e => e.Type), Is.SupersetOf(new[] { OrchestrationEventTypes.SprintWorkRemoved, OrchestrationEventTypes.SprintCompleted, OrchestrationEventTypes.SessionCompleted }));

        // The log holds every change exactly once, in the order it happened.
        await using (var db = CreateContext())
        {
            var all = await db.Events.OrderBy(e => e.Sequence).ToListAsync();
            Assert.That(all.Select(e => e.Sequence), Is.Unique);
            Assert.That(all.Select(e => e.OccurredAt), Is.Ordered);
            Assert.That(all.Select(e => e.Type).Distinct(), Is.SubsetOf(OrchestrationEventTypes.All), "every type written is in the catalogue");
            Assert.That(all.Where(e => e.EntityId == design.Id && e.EntityType == "work_item").Select(e => e.Type).First(), Is.EqualTo(OrchestrationEventTypes.WorkItemCreated));
        }
    }

    private static AgentRegistration Agent(string capability) => Faker.Agent(a => a.Capabilities = [new CapabilityEntry { Name = capability, Proficiency = 4 }]);

    private static NewWorkItem Task(Project project, WorkItem story, int priority) => Faker.Task(project.Id, story.Id, t =>
    {
        t.Priority = priority;
        t.RequiredCapabilities = ["csharp"];
    });

    /// <summary>Half an hour of work, heartbeating every two minutes (which renews the session's five-minute leases) and renewing its locks.</summary>
    private async Task WorkAsync(AgentSession session, string action)
    {
        for (var i = 0; i < 15; i++)
        {
            Clock.Advance(TimeSpan.FromMinutes(2));
            await Use<ISessionService, AgentSession>(s => s.HeartbeatAsync(session.SessionId, action));
            await Use<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.RenewAsync(session.SessionId, TimeSpan.FromMinutes(10)));
        }
    }

    private async Task ExpectEventsAsync(params string[] types) =>
        Assert.That((await NewEventsAsync()).Select(e => e.Type), Is.EqualTo(types));

    /// <summary>The events since the last call, read through the library's own feed.</summary>
    private async Task<IReadOnlyList<OrchestrationEvent>> NewEventsAsync()
    {
        var events = await Use<IEventLog, IReadOnlyList<OrchestrationEvent>>(log => log.ReadAsync(seen, 1000));
        if (events.Count > 0)
        {
            seen = events[^1].Sequence;
        }

        return events;
    }

    private Task<TResult> Use<TService, TResult>(Func<TService, Task<TResult>> use)
        where TService : notnull => UseAsync(use);
}
