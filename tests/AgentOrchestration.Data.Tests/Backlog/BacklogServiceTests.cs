using AgentOrchestration.Data.Backlog;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentOrchestration.Data.Tests.Backlog;

/// <summary>Every backlog transition, its event and its refusals, promotion, story approval and the risk strategy, on each provider.</summary>
public sealed class BacklogServiceTests(DatabaseProvider provider) : BacklogFixture(provider)
{
    [Test]
    public async Task Submit_stores_the_item_with_the_default_risk_score_and_an_event()
    {
        var item = await SubmitAsync(Complexity.Complex, priority: 1, businessValue: 10);

        await using var db = CreateContext();
        var stored = await db.Backlog.SingleAsync(b => b.Id == item.Id);
        var submitted = await TestEvents(db).SingleAsync();
        Assert.Multiple(() =>
        {
            Assert.That(stored.Status, Is.EqualTo(BacklogStatus.Backlog));
            Assert.That(stored.RiskScore, Is.EqualTo(75), "complex 55 + value 10 + urgency 10");
            Assert.That(stored.EstimatedComplexity, Is.EqualTo(Complexity.Complex));
            Assert.That(stored.CreatedBy, Is.EqualTo("product-owner"));
            Assert.That(stored.AssignedToAgent, Is.Null);
            Assert.That(stored.SubmittedAt, Is.EqualTo(Clock.GetUtcNow()));
            Assert.That(stored.ProjectId, Is.EqualTo(Project.Id));
            Assert.That(submitted.Type, Is.EqualTo(OrchestrationEventTypes.BacklogSubmitted));
            Assert.That(submitted.EntityType, Is.EqualTo("backlog"));
            Assert.That(submitted.EntityId, Is.EqualTo(item.Id));
            Assert.That(submitted.Actor, Is.EqualTo("product-owner"));
            Assert.That(submitted.Payload!.Data.Single(d => d.Key == "risk_score").Value, Is.EqualTo("75"));
        });
    }

    [Test]
    public async Task An_item_goes_from_backlog_to_an_approved_story_with_an_event_per_step()
    {
        var item = await SubmitAsync(Complexity.Simple, priority: 2, businessValue: 8);
        Clock.Advance(TimeSpan.FromMinutes(1));
        var analyzing = await BacklogAsync(b => b.StartAnalysisAsync(item.Id, "prime"));
        Assert.That((analyzing.Status, analyzing.AssignedToAgent), Is.EqualTo((BacklogStatus.Analyzing, "prime")));

        Clock.Advance(TimeSpan.FromMinutes(5));
        var analysed = await BacklogAsync(b => b.RecordAnalysisAsync(item.Id, new BacklogAnalysis("prime") { Complexity = Complexity.HighRisk, PrimeNotes = "touches billing" }));
        Assert.Multiple(() =>
        {
            Assert.That(analysed.Status, Is.EqualTo(BacklogStatus.Analyzing));
            Assert.That(analysed.EstimatedComplexity, Is.EqualTo(Complexity.HighRisk));
            Assert.That(analysed.RiskScore, Is.EqualTo(80 + 8 + 8), "the strategy rescored with the revised complexity");
            Assert.That(analysed.PrimeNotes, Is.EqualTo("touches billing"));
            Assert.That(analysed.LastAnalyzed, Is.EqualTo(Clock.GetUtcNow()));
        });

        Clock.Advance(TimeSpan.FromMinutes(1));
        var ready = await BacklogAsync(b => b.MarkReadyAsync(item.Id, "prime", "clear enough"));
        Assert.That(ready.Status, Is.EqualTo(BacklogStatus.Ready));
        Assert.That(ready.LastAnalyzed, Is.EqualTo(Clock.GetUtcNow()));

        var story = await BacklogAsync(b => b.PromoteAsync(item.Id, new BacklogPromotion("prime") { EstimatedHours = 13.5m }));
        var approved = await BacklogAsync(b => b.ApproveStoryAsync(story.Id, "reviewer"));
        Assert.That(approved.PrimeApproved, Is.True);

        await using var db = CreateContext();
        var stored = await db.WorkItems.SingleAsync(w => w.Id == story.Id);
        Assert.Multiple(() =>
        {
            Assert.That(stored.Type, Is.EqualTo(WorkItemType.Story));
            Assert.That(stored.CreatedFromBacklogId, Is.EqualTo(item.Id));
            Assert.That(stored.PrimeApproved, Is.True);
            Assert.That(stored.Title, Is.EqualTo(item.Title));
            Assert.That(stored.Description, Is.EqualTo(item.Description));
            Assert.That(stored.SuccessCriteria, Is.EqualTo(item.SuccessCriteria));
            Assert.That(stored.Priority, Is.EqualTo(2));
            Assert.That(stored.EstimatedHours, Is.EqualTo(13.5m));
            Assert.That(stored.Status, Is.EqualTo(WorkItemStatus.Todo));
            Assert.That(stored.DelegationStatus, Is.EqualTo(DelegationStatus.Unassigned));
        });
        Assert.That((await db.Backlog.SingleAsync(b => b.Id == item.Id)).Status, Is.EqualTo(BacklogStatus.Ready), "a promoted item stays ready");
        Assert.That(await EventTypesAsync(), Is.EqualTo(new[]
        {
            OrchestrationEventTypes.BacklogSubmitted, OrchestrationEventTypes.BacklogAnalysisStarted, OrchestrationEventTypes.BacklogAnalyzed, OrchestrationEventTypes.BacklogReady, OrchestrationEventTypes.BacklogPromoted, OrchestrationEventTypes.WorkItemCreated, OrchestrationEventTypes.StoryApproved,
        }));
        var events = await TestEvents(db).OrderBy(e => e.Sequence).ToListAsync();
        Assert.Multiple(() =>
        {
            Assert.That(events[1].Payload!.From, Is.EqualTo("backlog"));
            Assert.That(events[1].Payload!.To, Is.EqualTo("analyzing"));
            Assert.That(events[3].Payload!.Reason, Is.EqualTo("clear enough"));
            Assert.That(events[4].Payload!.WorkItemId, Is.EqualTo(story.Id));
            Assert.That(events[6].Actor, Is.EqualTo("reviewer"));
            Assert.That(events.All(e => e.ProjectId == Project.Id), Is.True);
        });
    }

    [Test]
    public async Task An_analysis_may_set_its_own_risk_score()
    {
        var item = await ItemInAsync(BacklogStatus.Analyzing);
        var analysed = await BacklogAsync(b => b.RecordAnalysisAsync(item.Id, new BacklogAnalysis("analyst-1") { RiskScore = 3 }));
        Assert.That(analysed.RiskScore, Is.EqualTo(3));
        Assert.That(analysed.EstimatedComplexity, Is.EqualTo(Complexity.Moderate));
    }

    [Test]
    public async Task A_blocked_item_is_analysed_again_by_another_agent_or_released()
    {
        var item = await ItemInAsync(BacklogStatus.Blocked);
        Assert.That(item.LastAnalyzed, Is.Not.Null);
        var again = await BacklogAsync(b => b.StartAnalysisAsync(item.Id, "analyst-2"));
        Assert.That((again.Status, again.AssignedToAgent), Is.EqualTo((BacklogStatus.Analyzing, "analyst-2")));
        await BacklogAsync(b => b.BlockAsync(item.Id, "analyst-2", "still waiting"));

        var released = await BacklogAsync(b => b.ReleaseAsync(item.Id, "lead", "re-queue for next week"));
        Assert.That((released.Status, released.AssignedToAgent), Is.EqualTo((BacklogStatus.Backlog, (string?)null)));
        Assert.That(await EventTypesAsync(item.Id), Is.EqualTo(new[]
        {
            OrchestrationEventTypes.BacklogSubmitted, OrchestrationEventTypes.BacklogAnalysisStarted, OrchestrationEventTypes.BacklogBlocked, OrchestrationEventTypes.BacklogAnalysisStarted, OrchestrationEventTypes.BacklogBlocked, OrchestrationEventTypes.BacklogReleased,
        }));
    }

    [Test]
    public async Task The_analysing_agent_releases_its_item_back_to_the_queue_keeping_the_analysis()
    {
        var item = await ItemInAsync(BacklogStatus.Analyzing);
        await BacklogAsync(b => b.RecordAnalysisAsync(item.Id, new BacklogAnalysis("analyst-1") { PrimeNotes = "half done" }));
        var released = await BacklogAsync(b => b.ReleaseAsync(item.Id, "analyst-1"));
        Assert.Multiple(() =>
        {
            Assert.That(released.Status, Is.EqualTo(BacklogStatus.Backlog));
            Assert.That(released.AssignedToAgent, Is.Null);
            Assert.That(released.PrimeNotes, Is.EqualTo("half done"));
        });

        var taken = await BacklogAsync(b => b.StartAnalysisAsync(item.Id, "analyst-2"));
        Assert.That(taken.AssignedToAgent, Is.EqualTo("analyst-2"));
    }

    [Test]
    public async Task A_ready_item_not_yet_promoted_can_be_analysed_again()
    {
        var item = await ItemInAsync(BacklogStatus.Ready);
        var again = await BacklogAsync(b => b.StartAnalysisAsync(item.Id, "analyst-2"));
        Assert.That((again.Status, again.AssignedToAgent), Is.EqualTo((BacklogStatus.Analyzing, "analyst-2")));
    }

    [Test]
    public async Task Refused_transitions_name_the_states_and_leave_the_database_unchanged()
    {
        var queued = await ItemInAsync(BacklogStatus.Backlog);
        var analyzing = await ItemInAsync(BacklogStatus.Analyzing);
        var ready = await ItemInAsync(BacklogStatus.Ready);
        var blocked = await ItemInAsync(BacklogStatus.Blocked);
        var before = await SnapshotAsync();

        var refusals = new (string Case, Func<IBacklogService, Task> Act)[]
        {
            ("analyse an analysing item", b => b.StartAnalysisAsync(analyzing.Id, "analyst-2")),
            ("record on a queued item", b => b.RecordAnalysisAsync(queued.Id, new BacklogAnalysis("analyst-1"))),
            ("record on a ready item", b => b.RecordAnalysisAsync(ready.Id, new BacklogAnalysis("analyst-1"))),
            ("ready from backlog", b => b.MarkReadyAsync(queued.Id, "analyst-1")),
            ("ready from blocked", b => b.MarkReadyAsync(blocked.Id, "analyst-1")),
            ("block a ready item", b => b.BlockAsync(ready.Id, "analyst-1", "why")),
            ("release a queued item", b => b.ReleaseAsync(queued.Id, "analyst-1")),
            ("release a ready item", b => b.ReleaseAsync(ready.Id, "analyst-1")),
            ("promote an analysing item", b => b.PromoteAsync(analyzing.Id, new BacklogPromotion("prime"))),
            ("promote a blocked item", b => b.PromoteAsync(blocked.Id, new BacklogPromotion("prime"))),
        };
        foreach (var (name, act) in refusals)
        {
            var refused = Assert.ThrowsAsync<InvalidStateTransitionException>(() => BacklogAsync(async b => { await act(b); return 0; }), name);
            Assert.That(refused!.EntityType, Is.EqualTo("backlog item"), name);
            Assert.That(refused.Message, Does.Contain($"is '{refused.Current}'"), name);
        }

        var held = Assert.ThrowsAsync<BacklogItemHeldException>(() => BacklogAsync(b => b.MarkReadyAsync(analyzing.Id, "analyst-2")));
        Assert.That((held!.Holder, held.Agent), Is.EqualTo(("analyst-1", "analyst-2")));
        Assert.ThrowsAsync<BacklogItemHeldException>(() => BacklogAsync(b => b.RecordAnalysisAsync(analyzing.Id, new BacklogAnalysis("analyst-2"))));
        Assert.ThrowsAsync<BacklogItemHeldException>(() => BacklogAsync(b => b.BlockAsync(analyzing.Id, "analyst-2", "not mine")));
        Assert.ThrowsAsync<BacklogItemHeldException>(() => BacklogAsync(b => b.ReleaseAsync(analyzing.Id, "analyst-2")));
        Assert.ThrowsAsync<EntityNotFoundException>(() => BacklogAsync(b => b.StartAnalysisAsync(Guid.NewGuid(), "analyst-1")));

        Assert.That(await SnapshotAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Invalid_input_is_refused_before_anything_is_written()
    {
        var analyzing = await ItemInAsync(BacklogStatus.Analyzing);
        var before = await SnapshotAsync();
        BacklogSubmission Valid() => new(Project.Id, "Title", "Description", "Criteria");

        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => BacklogAsync(b => b.SubmitAsync(Valid() with { Priority = 0 })));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => BacklogAsync(b => b.SubmitAsync(Valid() with { Priority = 6 })));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => BacklogAsync(b => b.SubmitAsync(Valid() with { BusinessValue = 0 })));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => BacklogAsync(b => b.SubmitAsync(Valid() with { BusinessValue = 11 })));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => BacklogAsync(b => b.SubmitAsync(Valid() with { Complexity = (Complexity)42 })));
        Assert.ThrowsAsync<ArgumentException>(() => BacklogAsync(b => b.SubmitAsync(Valid() with { Title = " " })));
        Assert.ThrowsAsync<ArgumentException>(() => BacklogAsync(b => b.SubmitAsync(Valid() with { Title = new string('t', 501) })));
        Assert.ThrowsAsync<ArgumentException>(() => BacklogAsync(b => b.SubmitAsync(Valid() with { Description = "" })));
        Assert.ThrowsAsync<ArgumentNullException>(() => BacklogAsync(b => b.SubmitAsync(Valid() with { SuccessCriteria = null! })));
        Assert.ThrowsAsync<ArgumentException>(() => BacklogAsync(b => b.SubmitAsync(Valid() with { CreatedBy = "" })));
        Assert.ThrowsAsync<EntityNotFoundException>(() => BacklogAsync(b => b.SubmitAsync(Valid() with { ProjectId = Guid.NewGuid() })));
        Assert.ThrowsAsync<ArgumentNullException>(() => BacklogAsync(b => b.SubmitAsync(null!)));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => BacklogAsync(b => b.RecordAnalysisAsync(analyzing.Id, new BacklogAnalysis("analyst-1") { RiskScore = 101 })));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => BacklogAsync(b => b.RecordAnalysisAsync(analyzing.Id, new BacklogAnalysis("analyst-1") { RiskScore = -1 })));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => BacklogAsync(b => b.RecordAnalysisAsync(analyzing.Id, new BacklogAnalysis("analyst-1") { Complexity = (Complexity)9 })));
        Assert.ThrowsAsync<ArgumentException>(() => BacklogAsync(b => b.RecordAnalysisAsync(analyzing.Id, new BacklogAnalysis("analyst-1") { PrimeNotes = new string('n', 20_001) })));
        Assert.ThrowsAsync<ArgumentException>(() => BacklogAsync(b => b.StartAnalysisAsync(analyzing.Id, " ")));
        Assert.ThrowsAsync<ArgumentException>(() => BacklogAsync(b => b.BlockAsync(analyzing.Id, "analyst-1", " ")));
        Assert.ThrowsAsync<ArgumentException>(() => BacklogAsync(b => b.MarkReadyAsync(analyzing.Id, "analyst-1", new string('x', 2001))));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => BacklogAsync(b => b.ListAsync(Project.Id, take: 0)));

        Assert.That(await SnapshotAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task A_promoted_item_is_final_and_promoted_once()
    {
        var item = await ItemInAsync(BacklogStatus.Ready);
        var story = await BacklogAsync(b => b.PromoteAsync(item.Id, new BacklogPromotion("prime")));
        var before = await SnapshotAsync();

        var again = Assert.ThrowsAsync<BacklogItemPromotedException>(() => BacklogAsync(b => b.PromoteAsync(item.Id, new BacklogPromotion("prime"))));
        Assert.That(again!.StoryId, Is.EqualTo(story.Id));
        Assert.ThrowsAsync<BacklogItemPromotedException>(() => BacklogAsync(b => b.StartAnalysisAsync(item.Id, "analyst-2")));
        Assert.ThrowsAsync<BacklogItemPromotedException>(() => BacklogAsync(b => b.ReleaseAsync(item.Id, "analyst-1")));

        Assert.That(await SnapshotAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Promotion_places_the_story_under_an_epic_and_into_a_sprint_of_the_same_project_only()
    {
        var other = await CreateProjectAsync();

        var epic = await AddWorkItemAsync(Project, WorkItemType.Epic);
        var task = await AddWorkItemAsync(Project, WorkItemType.Task);
        var foreignEpic = await AddWorkItemAsync(other, WorkItemType.Epic);
        var sprint = await AddSprintAsync(Project, SprintStatus.Active);
        var closed = await AddSprintAsync(Project, SprintStatus.Completed);
        var foreignSprint = await AddSprintAsync(other, SprintStatus.Planned);
        var item = await ItemInAsync(BacklogStatus.Ready);
        var before = await SnapshotAsync();

        Assert.ThrowsAsync<ProjectIsolationException>(() => BacklogAsync(b => b.PromoteAsync(item.Id, new BacklogPromotion("prime") { EpicId = foreignEpic.Id })));
        Assert.ThrowsAsync<ProjectIsolationException>(() => BacklogAsync(b => b.PromoteAsync(item.Id, new BacklogPromotion("prime") { SprintId = foreignSprint.Id })));
        Assert.ThrowsAsync<ArgumentException>(() => BacklogAsync(b => b.PromoteAsync(item.Id, new BacklogPromotion("prime") { EpicId = task.Id })));
        Assert.ThrowsAsync<EntityNotFoundException>(() => BacklogAsync(b => b.PromoteAsync(item.Id, new BacklogPromotion("prime") { EpicId = Guid.NewGuid() })));
        Assert.ThrowsAsync<InvalidStateTransitionException>(() => BacklogAsync(b => b.PromoteAsync(item.Id, new BacklogPromotion("prime") { SprintId = closed.Id })));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => BacklogAsync(b => b.PromoteAsync(item.Id, new BacklogPromotion("prime") { EstimatedHours = -1 })));
        Assert.That(await SnapshotAsync(), Is.EqualTo(before));

        var story = await BacklogAsync(b => b.PromoteAsync(item.Id, new BacklogPromotion("prime") { EpicId = epic.Id, SprintId = sprint.Id }));
        Assert.That((story.ParentId, story.SprintId), Is.EqualTo(((Guid?)epic.Id, (Guid?)sprint.Id)));
    }

    [Test]
    public async Task Only_a_story_is_approved_and_only_once()
    {
        var task = await AddWorkItemAsync(Project, WorkItemType.Task);
        var story = await AddWorkItemAsync(Project, WorkItemType.Story);
        await BacklogAsync(b => b.ApproveStoryAsync(story.Id, "reviewer"));
        var before = await SnapshotAsync();

        Assert.ThrowsAsync<ArgumentException>(() => BacklogAsync(b => b.ApproveStoryAsync(task.Id, "reviewer")));
        var twice = Assert.ThrowsAsync<InvalidStateTransitionException>(() => BacklogAsync(b => b.ApproveStoryAsync(story.Id, "reviewer")));
        Assert.That(twice!.Current, Is.EqualTo("approved"));
        Assert.ThrowsAsync<EntityNotFoundException>(() => BacklogAsync(b => b.ApproveStoryAsync(Guid.NewGuid(), "reviewer")));
        Assert.ThrowsAsync<ArgumentException>(() => BacklogAsync(b => b.ApproveStoryAsync(story.Id, "")));

        Assert.That(await SnapshotAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Lists_a_projects_items_most_urgent_first_filtered_by_status()
    {
        var low = await SubmitAsync(priority: 4, businessValue: 9);
        var urgentLowValue = await SubmitAsync(priority: 1, businessValue: 2);
        var urgentHighValue = await SubmitAsync(priority: 1, businessValue: 9);
        var analysing = await BacklogAsync(b => b.StartAnalysisAsync(low.Id, "analyst-1"));

        var all = await BacklogAsync(b => b.ListAsync(Project.Id));
        var queued = await BacklogAsync(b => b.ListAsync(Project.Id, BacklogStatus.Backlog));
        var page = await BacklogAsync(b => b.ListAsync(Project.Id, skip: 1, take: 1));
        Assert.Multiple(() =>
        {
            Assert.That(all.Select(i => i.Id), Is.EqualTo(new[] { urgentHighValue.Id, urgentLowValue.Id, analysing.Id }));
            Assert.That(queued.Select(i => i.Id), Is.EqualTo(new[] { urgentHighValue.Id, urgentLowValue.Id }));
            Assert.That(page.Select(i => i.Id), Is.EqualTo(new[] { urgentLowValue.Id }));
        });
        Assert.That((await BacklogAsync(b => b.GetAsync(low.Id)))!.Status, Is.EqualTo(BacklogStatus.Analyzing));
        Assert.That(await BacklogAsync(b => b.GetAsync(Guid.NewGuid())), Is.Null);
    }

    [Test]
    public async Task A_host_replaces_the_risk_strategy_through_dependency_injection()
    {
        await using var custom = BuildServices(s => s.AddSingleton<IBacklogRiskStrategy>(new FixedRisk(42)));
        await using (var scope = custom.CreateAsyncScope())
        {
            Assert.That(scope.ServiceProvider.GetRequiredService<IBacklogRiskStrategy>(), Is.InstanceOf<FixedRisk>());
        }

        var item = await BacklogAsync(b => b.SubmitAsync(new BacklogSubmission(Project.Id, "t", "d", "c") { Complexity = Complexity.HighRisk }), custom);
        Assert.That(item.RiskScore, Is.EqualTo(42));

        var services = new ServiceCollection();
        services.AddAgentOrchestration(o => o.UseSqlite("Data Source=:memory:"));
        services.Replace(ServiceDescriptor.Singleton<IBacklogRiskStrategy>(new FixedRisk(7)));
        Assert.That(services.Count(d => d.ServiceType == typeof(IBacklogRiskStrategy)), Is.EqualTo(1), "Replace after AddAgentOrchestration works too");
    }

    [Test]
    public async Task A_strategy_scoring_outside_0_to_100_is_refused_and_nothing_is_written()
    {
        await using var broken = BuildServices(s => s.AddSingleton<IBacklogRiskStrategy>(new FixedRisk(140)));
        var before = await SnapshotAsync();
        var refused = Assert.ThrowsAsync<InvalidOperationException>(() => BacklogAsync(b => b.SubmitAsync(new BacklogSubmission(Project.Id, "t", "d", "c")), broken));
        Assert.That(refused!.Message, Does.Contain("140"));
        Assert.That(await SnapshotAsync(), Is.EqualTo(before));
    }

    private Task<WorkItem> AddWorkItemAsync(Project project, WorkItemType type) => CreateWorkAsync(project, type);

    private async Task<Sprint> AddSprintAsync(Project project, SprintStatus status)
    {
        await using var db = CreateContext();
        var sprint = new Sprint { ProjectId = project.Id, Name = $"sprint {status}", Status = status, CreatedAt = Clock.GetUtcNow(), UpdatedAt = Clock.GetUtcNow() };
        db.Add(sprint);
        await db.SaveChangesAsync();
        return sprint;
    }

    private sealed class FixedRisk(int score) : IBacklogRiskStrategy
    {
        public int Score(BacklogRiskFactors factors) => score;
    }
}
