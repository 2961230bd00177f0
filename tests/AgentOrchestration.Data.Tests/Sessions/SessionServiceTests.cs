using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Backlog;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Tests.Infrastructure;
using Bogus;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Sessions;

/// <summary>Start, heartbeat, pause, resume and end, their validation and what ending releases, on each provider.</summary>
public sealed class SessionServiceTests(DatabaseProvider provider) : SessionFixture(provider)
{
    [Test]
    public async Task Start_records_an_active_session_with_its_references_and_an_event()
    {
        var story = await AddItemAsync(WorkItemType.Story);
        var task = await AddItemAsync();
        var backlog = await UseAsync<IBacklogService, BacklogItem>(b => b.SubmitAsync(Faker.BacklogSubmission(Project.Id)));
        await MarkSeededAsync();

        var started = await WithSessionsAsync(s => s.StartAsync(new SessionStart(Project.Id, SessionAgentType.Security)
        {
            SessionId = "sec-review.42:a_b",
            AgentId = Agent.Id,
            ParentStoryId = story.Id,
            TaskId = task.Id,
            BacklogId = backlog.Id,
            RiskLevel = 7,
            OversightLevel = OversightLevel.Strict,
            CurrentAction = "reading the diff",
        }));

        await using var check = CreateContext();
        var session = await check.AgentSessions.SingleAsync();
        Assert.Multiple(() =>
        {
            Assert.That(session.Id, Is.EqualTo(started.Id));
            Assert.That(session.SessionId, Is.EqualTo("sec-review.42:a_b"));
            Assert.That(session.Status, Is.EqualTo(SessionStatus.Active));
            Assert.That(session.AgentType, Is.EqualTo(SessionAgentType.Security));
            Assert.That(session.AgentId, Is.EqualTo(Agent.Id));
            Assert.That(session.ParentStoryId, Is.EqualTo(story.Id));
            Assert.That(session.TaskId, Is.EqualTo(task.Id));
            Assert.That(session.BacklogId, Is.EqualTo(backlog.Id));
            Assert.That(session.RiskLevel, Is.EqualTo(7));
            Assert.That(session.OversightLevel, Is.EqualTo(OversightLevel.Strict));
            Assert.That(session.CurrentAction, Is.EqualTo("reading the diff"));
            Assert.That(session.StartTime, Is.EqualTo(Clock.GetUtcNow()));
            Assert.That(session.LastHeartbeatAt, Is.EqualTo(Clock.GetUtcNow()));
            Assert.That(session.EndTime, Is.Null);
        });
        var started2 = await TestEvents(check).SingleAsync();
        Assert.That(started2.Type, Is.EqualTo(OrchestrationEventTypes.SessionStarted));
        Assert.That(started2.EntityId, Is.EqualTo(session.Id));
        Assert.That(started2.ProjectId, Is.EqualTo(Project.Id));
        Assert.That(started2.Payload?.SessionId, Is.EqualTo(session.SessionId));
        Assert.That(started2.Payload?.To, Is.EqualTo("active"));
    }

    [Test]
    public async Task Start_without_a_key_generates_a_readable_unique_one()
    {
        var keys = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            keys.Add((await StartAsync()).SessionId);
        }

        Assert.That(keys, Is.Unique);
        Assert.That(keys, Has.All.Match(@"^implementation-\d{8}T\d{6}Z-[0-9a-f]{12}$"));
    }

    [Test]
    public async Task A_session_heartbeats_pauses_resumes_and_completes_with_an_event_per_change()
    {
        var session = await StartAsync(Agent.Id);
        var key = session.SessionId;

        Clock.Advance(TimeSpan.FromSeconds(20));
        var beat = await WithSessionsAsync(s => s.HeartbeatAsync(key, "running tests"));
        Assert.That(beat.LastHeartbeatAt, Is.EqualTo(Clock.GetUtcNow()));
        Assert.That(beat.CurrentAction, Is.EqualTo("running tests"));

        Clock.Advance(TimeSpan.FromSeconds(20));
        beat = await WithSessionsAsync(s => s.HeartbeatAsync(key));
        Assert.That(beat.CurrentAction, Is.EqualTo("running tests"), "no action keeps the current one");

        var paused = await WithSessionsAsync(s => s.PauseAsync(key, "waiting for a human"));
        Assert.That(paused.Status, Is.EqualTo(SessionStatus.Paused));
        Clock.Advance(TimeSpan.FromSeconds(20));
        beat = await WithSessionsAsync(s => s.HeartbeatAsync(key, "waiting"));
        Assert.That(beat.Status, Is.EqualTo(SessionStatus.Paused), "a paused session heartbeats and stays paused");

        var resumed = await WithSessionsAsync(s => s.ResumeAsync(key));
        Assert.That(resumed.Status, Is.EqualTo(SessionStatus.Active));
        Clock.Advance(TimeSpan.FromSeconds(20));
        var ended = await WithSessionsAsync(s => s.EndAsync(key, SessionStatus.Completed, "all green"));
        Assert.That(ended.Status, Is.EqualTo(SessionStatus.Completed));
        Assert.That(ended.EndTime, Is.EqualTo(Clock.GetUtcNow()));

        await using var check = CreateContext();
        var stored = await WithSessionsAsync(s => s.GetAsync(key));
        Assert.That(stored?.Status, Is.EqualTo(SessionStatus.Completed));
        Assert.That(stored?.EndTime, Is.EqualTo(Clock.GetUtcNow()));
        var events = await TestEvents(check).OrderBy(e => e.Sequence).ToListAsync();
        Assert.That(events.Select(e => e.Type),
            Is.EqualTo(new[] { OrchestrationEventTypes.SessionStarted, OrchestrationEventTypes.SessionActionChanged, OrchestrationEventTypes.SessionPaused, OrchestrationEventTypes.SessionActionChanged, OrchestrationEventTypes.SessionResumed, OrchestrationEventTypes.SessionCompleted }),
            "a heartbeat is news only when it changes the current action");
        Assert.That(events.Select(e => (e.Payload?.From, e.Payload?.To)), Is.EqualTo(new (string?, string?)[]
        {
            (null, "active"), (null, null), ("active", "paused"), (null, null), ("paused", "active"), ("active", "completed"),
        }));
        Assert.That(events[2].Payload?.Reason, Is.EqualTo("waiting for a human"));
        Assert.That(events[5].Payload?.Reason, Is.EqualTo("all green"));
        Assert.That(events, Has.All.Matches<OrchestrationEvent>(e => e.EntityId == session.Id && e.Payload!.SessionId == key && e.Actor == key));
        Assert.That(await WithSessionsAsync(s => s.GetAsync("no-such-session")), Is.Null);
    }

    [TestCase(SessionStatus.Completed)]
    [TestCase(SessionStatus.Failed)]
    [TestCase(SessionStatus.Halted)]
    public async Task Invalid_transitions_name_the_current_and_requested_state_and_change_nothing(SessionStatus outcome)
    {
        var key = (await StartAsync(Agent.Id)).SessionId;
        await using var scope = Services.CreateAsyncScope();
        var sessions = scope.ServiceProvider.GetRequiredService<ISessionService>();

        var before = await SnapshotAsync();
        var resume = Assert.ThrowsAsync<InvalidStateTransitionException>(() => sessions.ResumeAsync(key));
        Assert.That((resume!.Current, resume.Requested), Is.EqualTo(("active", "active")));
        Assert.That(resume.Message, Does.Contain("'active'").And.Contain(key).And.Contain("paused, completed, failed, halted"));
        Assert.That(await SnapshotAsync(), Is.EqualTo(before));

        await sessions.PauseAsync(key);
        before = await SnapshotAsync();
        var pause = Assert.ThrowsAsync<InvalidStateTransitionException>(() => sessions.PauseAsync(key));
        Assert.That((pause!.Current, pause.Requested), Is.EqualTo(("paused", "paused")));
        Assert.That(await SnapshotAsync(), Is.EqualTo(before));

        await sessions.EndAsync(key, outcome);
        before = await SnapshotAsync();
        var stored = StoredName(outcome);
        foreach (var (call, requested) in new (Func<Task>, string)[]
        {
            (() => sessions.PauseAsync(key), "paused"),
            (() => sessions.ResumeAsync(key), "active"),
            (() => sessions.HeartbeatAsync(key, "still here?"), "heartbeat"),
            (() => sessions.EndAsync(key, SessionStatus.Completed), "completed"),
            (() => sessions.EndAsync(key, SessionStatus.Halted), "halted"),
        })
        {
            var refused = Assert.ThrowsAsync<InvalidStateTransitionException>(() => call());
            Assert.That((refused!.Current, refused.Requested), Is.EqualTo((stored, requested)));
            Assert.That(refused.Allowed, Is.Empty, "an ended session is final");
            Assert.That(refused.Message, Does.Contain($"'{stored}'").And.Contain($"'{requested}'").And.Contain("final state"));
        }

        Assert.That(await SnapshotAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task End_needs_an_end_state()
    {
        var key = (await StartAsync()).SessionId;
        await using var scope = Services.CreateAsyncScope();
        var sessions = scope.ServiceProvider.GetRequiredService<ISessionService>();
        var before = await SnapshotAsync();

        foreach (var outcome in new[] { SessionStatus.Active, SessionStatus.Paused, (SessionStatus)42 })
        {
            var refused = Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => sessions.EndAsync(key, outcome));
            Assert.That(refused!.Message, Does.Contain("completed, failed, halted").And.Contain(outcome.ToString()));
        }

        Assert.That(await SnapshotAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Story_task_and_backlog_item_must_be_in_the_session_project()
    {
        var elsewhere = await CreateProjectAsync();
        var foreignBacklog = await UseAsync<IBacklogService, BacklogItem>(b => b.SubmitAsync(Faker.BacklogSubmission(elsewhere.Id)));

        var foreignStory = await AddItemAsync(WorkItemType.Story, elsewhere);
        var foreignTask = await AddItemAsync(WorkItemType.Task, elsewhere);
        var before = await SnapshotAsync();

        await using var scope = Services.CreateAsyncScope();
        var sessions = scope.ServiceProvider.GetRequiredService<ISessionService>();
        var start = new SessionStart(Project.Id, SessionAgentType.Implementation) { SessionId = "isolated", AgentId = Agent.Id };
        foreach (var crossing in new[] { start with { ParentStoryId = foreignStory.Id }, start with { TaskId = foreignTask.Id }, start with { BacklogId = foreignBacklog.Id } })
        {
            var refused = Assert.ThrowsAsync<ProjectIsolationException>(() => sessions.StartAsync(crossing));
            Assert.That(refused!.SubjectProjectId, Is.EqualTo(Project.Id));
            Assert.That(refused.TargetProjectId, Is.EqualTo(elsewhere.Id));
            Assert.That(refused.Message, Does.Contain("session 'isolated'"));
        }

        Assert.That(await SnapshotAsync(), Is.EqualTo(before), "nothing written");
    }

    [Test]
    public async Task Start_refuses_unknown_or_wrong_references()
    {
        var story = await AddItemAsync(WorkItemType.Story);
        var task = await AddItemAsync();
        var archived = await NewAgentAsync();
        await UseAsync<IAgentRegistry, AgentProfile>(r => r.ArchiveAsync(archived.Slug));

        var before = await SnapshotAsync();
        await using var scope = Services.CreateAsyncScope();
        var sessions = scope.ServiceProvider.GetRequiredService<ISessionService>();
        var start = new SessionStart(Project.Id, SessionAgentType.Testing);

        var project = Assert.ThrowsAsync<EntityNotFoundException>(() => sessions.StartAsync(start with { ProjectId = Guid.NewGuid() }));
        Assert.That(project!.EntityType, Is.EqualTo("project"));
        Assert.That(Assert.ThrowsAsync<EntityNotFoundException>(() => sessions.StartAsync(start with { AgentId = Guid.NewGuid() }))!.EntityType, Is.EqualTo("agent"));
        Assert.That(Assert.ThrowsAsync<EntityNotFoundException>(() => sessions.StartAsync(start with { ParentStoryId = Guid.NewGuid() }))!.EntityType, Is.EqualTo("story"));
        Assert.That(Assert.ThrowsAsync<EntityNotFoundException>(() => sessions.StartAsync(start with { TaskId = Guid.NewGuid() }))!.EntityType, Is.EqualTo("task"));
        Assert.That(Assert.ThrowsAsync<EntityNotFoundException>(() => sessions.StartAsync(start with { BacklogId = Guid.NewGuid() }))!.EntityType, Is.EqualTo("backlog item"));

        var notAStory = Assert.ThrowsAsync<ArgumentException>(() => sessions.StartAsync(start with { ParentStoryId = task.Id }));
        Assert.That(notAStory!.Message, Does.Contain("is a task").And.Contain("ParentStoryId must name a story"));
        var notATask = Assert.ThrowsAsync<ArgumentException>(() => sessions.StartAsync(start with { TaskId = story.Id }));
        Assert.That(notATask!.Message, Does.Contain("is a story").And.Contain("task or bug"));

        var inactive = Assert.ThrowsAsync<InvalidStateTransitionException>(() => sessions.StartAsync(start with { AgentId = archived.Id }));
        Assert.That(inactive!.Message, Does.Contain("archived").And.Contain(archived.Slug));

        Assert.That(await SnapshotAsync(), Is.EqualTo(before), "nothing written");
    }

    [Test]
    public async Task Bad_input_is_refused_with_a_typed_exception_and_nothing_written()
    {
        var faker = new Faker();
        var existing = (await StartAsync()).SessionId;
        var before = await SnapshotAsync();
        await using var scope = Services.CreateAsyncScope();
        var sessions = scope.ServiceProvider.GetRequiredService<ISessionService>();
        var start = new SessionStart(Project.Id, SessionAgentType.Qa);

        var junk = new List<string>
        {
            faker.Lorem.Sentence(),                                   // spaces
            faker.Random.Utf16String(5, 30, excludeSurrogates: false) + "\u00e9",
            "-" + faker.Random.AlphaNumeric(10),                      // must start with a letter or digit
            faker.Random.AlphaNumeric(5) + "/" + faker.Random.AlphaNumeric(5),
            faker.Random.AlphaNumeric(5) + "\n",
            "\u2603 snow",
            "drop table;--",
        };
        foreach (var key in junk)
        {
            var refused = Assert.ThrowsAsync<ArgumentException>(() => sessions.StartAsync(start with { SessionId = key }), key);
            Assert.That(refused!.Message, Does.Contain("ASCII letters, digits"), key);
        }

        foreach (var key in new[] { string.Empty, new string('a', 201), faker.Random.AlphaNumeric(500) })
        {
            var refused = Assert.ThrowsAsync<ArgumentException>(() => sessions.StartAsync(start with { SessionId = key }));
            Assert.That(refused!.Message, Does.Contain($"{key.Length} characters").And.Contain("1 to 200"));
            Assert.ThrowsAsync<ArgumentException>(() => sessions.HeartbeatAsync(key));
            Assert.ThrowsAsync<ArgumentException>(() => sessions.PauseAsync(key));
            Assert.ThrowsAsync<ArgumentException>(() => sessions.EndAsync(key, SessionStatus.Failed));
            Assert.ThrowsAsync<ArgumentException>(() => sessions.GetAsync(key));
        }

        Assert.That((await sessions.StartAsync(start with { SessionId = new string('b', 200) })).SessionId, Has.Length.EqualTo(200));
        before = await SnapshotAsync();

        foreach (var risk in new[] { -1, 11, int.MinValue, int.MaxValue })
        {
            var refused = Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => sessions.StartAsync(start with { RiskLevel = risk }));
            Assert.That(refused!.Message, Does.Contain(risk.ToString(System.Globalization.CultureInfo.InvariantCulture)).And.Contain("0 to 10"));
        }

        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => sessions.StartAsync(start with { AgentType = (SessionAgentType)99 }));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => sessions.StartAsync(start with { OversightLevel = (OversightLevel)(-1) }));
        Assert.ThrowsAsync<ArgumentNullException>(() => sessions.StartAsync(null!));

        var duplicate = Assert.ThrowsAsync<DuplicateValueException>(() => sessions.StartAsync(start with { SessionId = existing }));
        Assert.That(duplicate!.Value, Is.EqualTo(existing));

        foreach (var unknown in new[] { "unknown-" + faker.Random.AlphaNumeric(12), faker.Lorem.Sentence() })
        {
            Assert.That(Assert.ThrowsAsync<EntityNotFoundException>(() => sessions.HeartbeatAsync(unknown, "x"))!.Key, Is.EqualTo(unknown));
            Assert.ThrowsAsync<EntityNotFoundException>(() => sessions.PauseAsync(unknown));
            Assert.ThrowsAsync<EntityNotFoundException>(() => sessions.ResumeAsync(unknown));
            Assert.ThrowsAsync<EntityNotFoundException>(() => sessions.EndAsync(unknown, SessionStatus.Halted));
        }

        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => sessions.HeartbeatAsync(existing, leaseDuration: TimeSpan.Zero));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => sessions.HeartbeatAsync(existing, leaseDuration: TimeSpan.FromDays(2)));
        Assert.That(await SnapshotAsync(), Is.EqualTo(before), "nothing written");
    }

    [TestCase(SessionStatus.Completed)]
    [TestCase(SessionStatus.Halted)]
    public async Task Ending_releases_the_session_locks_in_the_same_transaction(SessionStatus outcome)
    {
        var key = (await StartAsync(Agent.Id)).SessionId;
        var other = (await StartAsync()).SessionId;
        await AddLocksAsync(key, "src/app.cs", "src/lib/**");
        await AddLocksAsync(other, "docs/readme.md");

        await WithSessionsAsync(s => s.EndAsync(key, outcome, "done for today"));

        await using var check = CreateContext();
        Assert.That(await check.FileLocks.Select(l => l.LockedBySession).ToListAsync(), Is.EqualTo(new[] { other }));
        var ended = await check.AgentSessions.SingleAsync(s => s.SessionId == key);
        Assert.That(ended.FileLocks, Is.Null.Or.Empty, "the JSON list is cleared");
        Assert.That((await check.AgentSessions.SingleAsync(s => s.SessionId == other)).FileLocks, Has.Count.EqualTo(1));
        var released = await check.Events.Where(e => e.Type == OrchestrationEventTypes.FileLockReleased).OrderBy(e => e.Sequence).ToListAsync();
        Assert.That(released.Select(e => e.Payload!.Data.Single(d => d.Key == "path").Value), Is.EqualTo(new[] { "src/app.cs", "src/lib/**" }));
        Assert.That(released, Has.All.Matches<OrchestrationEvent>(e => e.Payload!.SessionId == key && e.Payload.AgentId == Agent.Id));
        var types = await check.Events.OrderBy(e => e.Sequence).Select(e => e.Type).ToListAsync();
        Assert.That(types[^3..], Is.EqualTo(new[] { OrchestrationEventTypes.FileLockReleased, OrchestrationEventTypes.FileLockReleased, EndedEvent(outcome) }), "one transaction, session change last");
    }

    [TestCase(SessionStatus.Failed)]
    [TestCase(SessionStatus.Halted)]
    public async Task Failing_or_halting_returns_the_session_work_and_completing_keeps_it(SessionStatus outcome)
    {
        await AddItemAsync();
        await AddItemAsync();
        var worker = await NewAgentAsync();

        var completing = (await StartAsync(Agent.Id)).SessionId;
        var kept = await ClaimAsync(Agent.Id);
        await WithSessionsAsync(s => s.EndAsync(completing, SessionStatus.Completed));

        var halting = (await StartAsync(worker.Id)).SessionId;
        var returned = await ClaimAsync(worker.Id);
        await WithSessionsAsync(s => s.EndAsync(halting, outcome, "operator stop"));

        await using var check = CreateContext();
        var keptItem = await check.WorkItems.Include(w => w.CurrentAssignment).SingleAsync(w => w.Id == kept!.Lease.WorkItemId);
        Assert.That(keptItem.DelegationStatus, Is.EqualTo(DelegationStatus.Assigned), "a completed session leaves its work to the claimer API");
        Assert.That(keptItem.CurrentAssignment?.Status, Is.EqualTo(AssignmentStatus.Assigned));

        var item = await check.WorkItems.Include(w => w.Assignments).SingleAsync(w => w.Id == returned!.Lease.WorkItemId);
        Assert.Multiple(() =>
        {
            Assert.That(item.DelegationStatus, Is.EqualTo(DelegationStatus.Unassigned));
            Assert.That(item.Status, Is.EqualTo(WorkItemStatus.Todo));
            Assert.That(item.AssigneeId, Is.Null);
            Assert.That(item.AssignedAgentId, Is.Null);
            Assert.That(item.CurrentAssignmentId, Is.Null);
            Assert.That(item.Assignments.Single().Status, Is.EqualTo(AssignmentStatus.Cancelled));
            Assert.That(item.Assignments.Single().Notes, Is.EqualTo("operator stop"));
            Assert.That(item.DelegationHistory!.Last().Action, Is.EqualTo("requeue"));
            Assert.That(item.DelegationHistory!.Last().Actor, Is.EqualTo(halting));
        });
        var requeued = await check.Events.SingleAsync(e => e.Type == OrchestrationEventTypes.WorkItemRequeued);
        Assert.That(requeued.EntityId, Is.EqualTo(item.Id));
        Assert.That(requeued.Payload?.SessionId, Is.EqualTo(halting));

        await using var scope = Services.CreateAsyncScope();
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        Assert.ThrowsAsync<LeaseLostException>(() => claimer.CompleteAsync(returned!.Lease));
        Assert.That((await claimer.ClaimNextAsync(worker.Id, Project.Id))?.Lease.WorkItemId, Is.EqualTo(item.Id), "claimable at once");
    }

    [Test]
    public async Task A_heartbeat_renews_the_leases_of_the_session_work_without_shortening_them()
    {
        await AddItemAsync();
        await MarkSeededAsync();
        var key = (await StartAsync(Agent.Id)).SessionId;
        var claimed = await ClaimAsync(Agent.Id);
        Assert.That(claimed!.LeaseExpiresAt, Is.EqualTo(Clock.GetUtcNow() + TimeSpan.FromMinutes(5)));

        Clock.Advance(TimeSpan.FromMinutes(4));
        await WithSessionsAsync(s => s.HeartbeatAsync(key, "coding", TimeSpan.FromMinutes(10)));
        var expected = Clock.GetUtcNow() + TimeSpan.FromMinutes(10);
        Assert.That(await LeaseAsync(claimed.Lease), Is.EqualTo(expected));

        Clock.Advance(TimeSpan.FromMinutes(1));
        await WithSessionsAsync(s => s.HeartbeatAsync(key, leaseDuration: TimeSpan.FromMinutes(1)));
        Assert.That(await LeaseAsync(claimed.Lease), Is.EqualTo(expected), "never shortened");

        await WithSessionsAsync(s => s.HeartbeatAsync(key));
        Assert.That(await LeaseAsync(claimed.Lease), Is.EqualTo(expected), "the default five minutes is still shorter");

        Clock.Advance(TimeSpan.FromMinutes(8));
        await WithSessionsAsync(s => s.HeartbeatAsync(key));
        Assert.That(await LeaseAsync(claimed.Lease), Is.EqualTo(Clock.GetUtcNow() + TimeSpan.FromMinutes(5)));

        Clock.Advance(TimeSpan.FromMinutes(6));
        var expired = await LeaseAsync(claimed.Lease);
        await WithSessionsAsync(s => s.HeartbeatAsync(key));
        Assert.That(await LeaseAsync(claimed.Lease), Is.EqualTo(expired), "an expired lease is not revived");

        await using var check = CreateContext();
        // Five heartbeats, one of which set the current action: only that one is news.
        var events = await TestEvents(check).Where(e => e.Type != OrchestrationEventTypes.SessionStarted && e.Type != OrchestrationEventTypes.WorkItemClaimed).ToListAsync();
        Assert.That(events.Select(e => (e.Type, e.Payload!.SessionId, e.Payload.Data.Single().Value)), Is.EqualTo(new[] { (OrchestrationEventTypes.SessionActionChanged, (string?)key, (string?)"coding") }));
    }

    private async Task<DateTimeOffset?> LeaseAsync(WorkLease lease)
    {
        await using var db = CreateContext();
        return await db.TaskAssignments.Where(a => a.Id == lease.AssignmentId).Select(a => a.LeaseExpiresAt).SingleAsync();
    }

    private static string StoredName(SessionStatus status) => status.ToString().ToLowerInvariant();

    private static string EndedEvent(SessionStatus outcome) => outcome switch
    {
        SessionStatus.Completed => OrchestrationEventTypes.SessionCompleted,
        SessionStatus.Failed => OrchestrationEventTypes.SessionFailed,
        _ => OrchestrationEventTypes.SessionHalted,
    };
}
