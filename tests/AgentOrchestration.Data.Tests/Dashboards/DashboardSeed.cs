using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Tests.Infrastructure;
using Bogus;

namespace AgentOrchestration.Data.Tests.Dashboards;

/// <summary>
/// A realistic, reproducible world for the dashboard queries, written straight through the context: two projects with
/// sprints, agents, work items in every status, current and old assignments with live, expired and no leases, sessions in
/// every state with live and expired locks, QA results and events. The lists keep what was written, so tests compute
/// what each query should return from them with plain LINQ to objects. A few rows sit exactly on a boundary (a lease and
/// a lock expiring now, an item unchanged for exactly the stale threshold).
/// </summary>
public sealed class DashboardSeed
{
    public static readonly TimeSpan StaleAfter = TimeSpan.FromHours(6);

    private DashboardSeed()
    {
    }

    public Project Project { get; private set; } = null!;

    public Project OtherProject { get; private set; } = null!;

    public Sprint SprintOne { get; private set; } = null!;

    public Sprint SprintTwo { get; private set; } = null!;

    public Sprint OtherSprint { get; private set; } = null!;

    public List<AgentProfile> Agents { get; } = [];

    public List<WorkItem> Items { get; } = [];

    public List<TaskAssignment> Assignments { get; } = [];

    public List<AgentSession> Sessions { get; } = [];

    public List<FileLock> Locks { get; } = [];

    public List<QaResult> QaResults { get; } = [];

    public List<OrchestrationEvent> Events { get; } = [];

    /// <summary>The item unchanged for exactly the stale threshold: not stale (stale means longer).</summary>
    public WorkItem AtCutoff { get; private set; } = null!;

    /// <summary>The item unchanged for one second longer than the threshold: stale.</summary>
    public WorkItem PastCutoff { get; private set; } = null!;

    /// <summary>A blocked item that changed 45 seconds ago: listed as blocked, not stale.</summary>
    public WorkItem RecentlyBlocked { get; private set; } = null!;

    /// <summary>An item in progress that changed 30 seconds ago, held by agent a under the lease that ends now: listed nowhere as stalled.</summary>
    public WorkItem RecentlyLeased { get; private set; } = null!;

    /// <summary>A started assignment whose lease expires exactly now: not live.</summary>
    public TaskAssignment LeaseEndingNow { get; private set; } = null!;

    /// <summary>A lock of a live session that expires exactly now: not held.</summary>
    public FileLock LockEndingNow { get; private set; } = null!;

    public static async Task<DashboardSeed> CreateAsync(Func<AgentOrchestrationDbContext> createContext, DateTimeOffset now, int randomSeed = 20261123)
    {
        var seed = new DashboardSeed();
        var f = new Faker { Random = new Randomizer(randomSeed) };
        await using var db = createContext();

        seed.Project = Stamp(Fakes.Project(), now);
        seed.OtherProject = Stamp(Fakes.Project(), now);
        db.AddRange(seed.Project, seed.OtherProject);
        await db.SaveChangesAsync();

        seed.SprintOne = NewSprint(seed.Project, "Sprint 1", SprintStatus.Completed, now);
        seed.SprintTwo = NewSprint(seed.Project, "Sprint 2", SprintStatus.Active, now);
        seed.OtherSprint = NewSprint(seed.OtherProject, "Other sprint", SprintStatus.Active, now);
        db.AddRange(seed.SprintOne, seed.SprintTwo, seed.OtherSprint);

        for (var i = 0; i < 5; i++)
        {
            var agent = Stamp(Fakes.Agent(), now);

            // One shape for every slug, so any collation orders them as ordinal comparison does.
            agent.Slug = $"dash-agent-{(char)('a' + i)}";
            agent.MaxConcurrentTasks = f.Random.Int(1, 8);
            agent.Status = f.PickRandom(AgentStatus.Active, AgentStatus.Inactive);
            seed.Agents.Add(agent);
        }

        db.AddRange(seed.Agents);
        await db.SaveChangesAsync();

        seed.SeedWorkItems(f, now);
        db.AddRange(seed.Items);
        await db.SaveChangesAsync();

        seed.SeedAssignments(f, now);
        db.AddRange(seed.Assignments);
        await db.SaveChangesAsync();
        foreach (var current in seed.Assignments.Where(a => a.Status != AssignmentStatus.Cancelled))
        {
            seed.Items.Single(w => w.Id == current.WorkItemId).CurrentAssignmentId = current.Id;
        }

        await db.SaveChangesAsync();

        seed.SeedSessions(f, now);
        db.AddRange(seed.Sessions);
        await db.SaveChangesAsync();

        seed.SeedLocks(f, now);
        seed.SeedQaResults(f, now);
        db.AddRange(seed.Locks);
        db.AddRange(seed.QaResults);
        await db.SaveChangesAsync();

        seed.SeedEvents(f, now);
        db.AddRange(seed.Events);
        await db.SaveChangesAsync();
        return seed;
    }

    private static readonly (WorkItemStatus Status, DelegationStatus Delegation)[] Combinations =
    [
        (WorkItemStatus.Todo, DelegationStatus.Unassigned),
        (WorkItemStatus.Todo, DelegationStatus.Unassigned),
        (WorkItemStatus.Todo, DelegationStatus.Assigned),
        (WorkItemStatus.InProgress, DelegationStatus.InProgress),
        (WorkItemStatus.InProgress, DelegationStatus.InProgress),
        (WorkItemStatus.Blocked, DelegationStatus.Blocked),
        (WorkItemStatus.InReview, DelegationStatus.InProgress),
        (WorkItemStatus.Done, DelegationStatus.Completed),
        (WorkItemStatus.Done, DelegationStatus.Unassigned),
        (WorkItemStatus.Cancelled, DelegationStatus.Unassigned),
        (WorkItemStatus.Cancelled, DelegationStatus.Assigned),
        (WorkItemStatus.InProgress, DelegationStatus.Unassigned),
        (WorkItemStatus.Todo, DelegationStatus.Blocked),
    ];

    private void SeedWorkItems(Faker f, DateTimeOffset now)
    {
        // Distinct ages, so "longest unchanged first" has one right order on every provider.
        var cutoffMinutes = (int)StaleAfter.TotalMinutes;
        var ages = new Queue<int>(f.Random.Shuffle(Enumerable.Range(1, 3000).Where(m => m != cutoffMinutes)));
        for (var i = 0; i < 120; i++)
        {
            var inProject = i < 90;
            var sprint = inProject
                ? f.Random.WeightedRandom([SprintOne, SprintTwo, null], [0.4f, 0.3f, 0.3f])
                : f.Random.Bool(0.6f) ? OtherSprint : null;
            var (status, delegation) = f.PickRandom(Combinations);
            var item = NewItem(f, inProject ? Project : OtherProject, sprint, status, delegation, now - TimeSpan.FromMinutes(ages.Dequeue()), now);
            if (delegation != DelegationStatus.Unassigned && f.Random.Bool(0.85f))
            {
                // Agent e works only in the other project.
                var agent = inProject ? f.PickRandom(Agents.Take(4)) : f.PickRandom(Agents);
                item.AssigneeType = AssigneeType.Agent;
                item.AssigneeId = agent.Id;
                item.AssignedAgentId = agent.Id;
            }
            else if (delegation != DelegationStatus.Unassigned)
            {
                item.AssigneeType = AssigneeType.User;
                item.AssigneeId = Guid.NewGuid();
            }

            Items.Add(item);
        }

        AtCutoff = NewItem(f, Project, null, WorkItemStatus.InProgress, DelegationStatus.InProgress, now - StaleAfter, now);
        PastCutoff = NewItem(f, Project, null, WorkItemStatus.InProgress, DelegationStatus.InProgress, now - StaleAfter - TimeSpan.FromSeconds(1), now);
        RecentlyBlocked = NewItem(f, Project, SprintOne, WorkItemStatus.Blocked, DelegationStatus.Blocked, now - TimeSpan.FromSeconds(45), now);
        var leased = RecentlyLeased = NewItem(f, Project, SprintTwo, WorkItemStatus.InProgress, DelegationStatus.InProgress, now - TimeSpan.FromSeconds(30), now);
        leased.AssigneeType = AssigneeType.Agent;
        leased.AssigneeId = leased.AssignedAgentId = Agents[0].Id;
        Items.AddRange([AtCutoff, PastCutoff, RecentlyBlocked, leased]);
    }

    private void SeedAssignments(Faker f, DateTimeOffset now)
    {
        foreach (var item in Items.Where(w => w.AssignedAgentId is not null))
        {
            long token = 1;
            if (f.Random.Bool(0.3f))
            {
                var previous = NewAssignment(item, f.PickRandom(Agents.Where(a => a.Id != item.AssignedAgentId)), AssignmentStatus.Cancelled, token++, now - TimeSpan.FromHours(2), now);
                previous.CompletedAt = now - TimeSpan.FromHours(1);
                Assignments.Add(previous);
            }

            var status = item.DelegationStatus switch
            {
                DelegationStatus.Assigned when item.Status == WorkItemStatus.Cancelled => AssignmentStatus.Cancelled,
                DelegationStatus.Assigned => AssignmentStatus.Assigned,
                DelegationStatus.InProgress => f.PickRandom(AssignmentStatus.Started, AssignmentStatus.Paused),
                DelegationStatus.Blocked => AssignmentStatus.Paused,
                _ => AssignmentStatus.Completed,
            };
            var assignment = NewAssignment(item, Agents.Single(a => a.Id == item.AssignedAgentId), status, token, now - TimeSpan.FromMinutes(f.Random.Int(1, 600)), now);
            assignment.LeaseExpiresAt = f.Random.Int(0, 9) switch
            {
                < 4 => null,
                < 8 => now + TimeSpan.FromMinutes(f.Random.Int(1, 120)),
                _ => now - TimeSpan.FromMinutes(f.Random.Int(1, 120)),
            };
            Assignments.Add(assignment);
        }

        LeaseEndingNow = Assignments.Single(a => a.WorkItemId == RecentlyLeased.Id && a.Status != AssignmentStatus.Cancelled);
        LeaseEndingNow.Status = AssignmentStatus.Started;
        LeaseEndingNow.LeaseExpiresAt = now;
    }

    private void SeedSessions(Faker f, DateTimeOffset now)
    {
        foreach (var (project, count) in new[] { (Project, 14), (OtherProject, 5) })
        {
            var tasks = Items.Where(w => w.ProjectId == project.Id && w.Type is WorkItemType.Task or WorkItemType.Bug).ToList();
            for (var i = 0; i < count; i++)
            {
                var start = now - TimeSpan.FromMinutes((i * 37) + 5 + (project == Project ? 0 : 11));
                var status = i switch
                {
                    0 => SessionStatus.Active,
                    1 => SessionStatus.Paused,
                    2 => SessionStatus.Completed,
                    _ => f.PickRandom<SessionStatus>(),
                };
                var session = new AgentSession
                {
                    SessionId = $"dash-{(project == Project ? "p" : "o")}-{i:D2}",
                    ProjectId = project.Id,
                    AgentId = f.Random.Bool(0.75f) ? f.PickRandom(Agents).Id : null,
                    TaskId = f.Random.Bool(0.5f) ? f.PickRandom(tasks).Id : null,
                    AgentType = f.PickRandom<SessionAgentType>(),
                    Status = status,
                    CurrentAction = f.Random.Bool(0.8f) ? f.Hacker.Phrase() : null,
                    StartTime = start,
                    LastHeartbeatAt = i == 0 || f.Random.Bool(0.8f) ? start + TimeSpan.FromSeconds(f.Random.Int(0, (int)(now - start).TotalSeconds)) : null,
                    EndTime = status is SessionStatus.Completed or SessionStatus.Failed or SessionStatus.Halted ? now - TimeSpan.FromMinutes(1) : null,
                    RiskLevel = f.Random.Int(0, 5),
                };
                Sessions.Add(session);
            }
        }
    }

    private void SeedLocks(Faker f, DateTimeOffset now)
    {
        for (var i = 0; i < Sessions.Count; i++)
        {
            var session = Sessions[i];
            for (var j = 0; j < f.Random.Int(0, 4); j++)
            {
                Locks.Add(NewLock(session, $"src/mod-{i:D2}/file-{j:D2}.cs", f.PickRandom<FileLockType>(), f.Random.Int(0, 9) switch
                {
                    < 2 => null,
                    < 7 => now + TimeSpan.FromMinutes(f.Random.Int(1, 60)),
                    _ => now - TimeSpan.FromMinutes(f.Random.Int(1, 60)),
                }));
            }
        }

        LockEndingNow = NewLock(Sessions[0], "src/mod-00/file-99.cs", FileLockType.Exclusive, now);
        Locks.Add(LockEndingNow);
        Locks.Add(NewLock(Sessions[0], "src/mod-00/file-98.cs", FileLockType.Shared, now + TimeSpan.FromMinutes(5)));
    }

    private void SeedQaResults(Faker f, DateTimeOffset now)
    {
        foreach (var task in Items.Where(w => w.Type is WorkItemType.Task or WorkItemType.Bug))
        {
            var sessions = Sessions.Where(s => s.ProjectId == task.ProjectId).ToList();
            for (var k = f.Random.Int(0, 3); k > 0; k--)
            {
                QaResults.Add(new QaResult
                {
                    TaskId = task.Id,
                    ProjectId = task.ProjectId,
                    AgentSessionId = f.PickRandom(sessions).SessionId,
                    QaType = f.PickRandom<QaType>(),
                    Status = f.Random.WeightedRandom([QaResultStatus.Pass, QaResultStatus.Warning, QaResultStatus.Fail], [0.6f, 0.15f, 0.25f]),
                    SuccessCriteriaMet = f.Random.Bool(),
                    RemediationNeeded = f.Random.Bool(0.3f) ? f.Lorem.Sentence() : null,
                    RecordedAt = now - TimeSpan.FromMinutes(f.Random.Int(1, 2000)),
                });
            }
        }
    }

    private void SeedEvents(Faker f, DateTimeOffset now)
    {
        string[] types = [OrchestrationEventTypes.WorkItemClaimed, OrchestrationEventTypes.WorkItemStarted, OrchestrationEventTypes.WorkItemCompleted, OrchestrationEventTypes.SessionStarted, OrchestrationEventTypes.FileLockAcquired, "qa_result.recorded"];
        for (var k = 0; k < 110; k++)
        {
            var project = f.Random.WeightedRandom([Project, OtherProject, null], [0.65f, 0.25f, 0.1f]);
            Events.Add(new OrchestrationEvent
            {
                OccurredAt = now - TimeSpan.FromMinutes(110 - k),
                Type = f.PickRandom(types),
                ProjectId = project?.Id,
                EntityType = "work_item",
                EntityId = f.Random.Bool(0.9f) ? f.PickRandom(Items).Id : null,
                Actor = f.Random.Bool(0.8f) ? f.PickRandom(Agents).Slug : null,
                Payload = f.Random.Bool(0.7f)
                    ? new EventPayload
                    {
                        From = "assigned",
                        To = "in_progress",
                        AgentId = f.PickRandom(Agents).Id,
                        Reason = f.Lorem.Sentence(),
                        Data = [new MetadataEntry { Key = "attempt", Value = f.Random.Int(1, 3).ToString(System.Globalization.CultureInfo.InvariantCulture) }],
                    }
                    : null,
            });
        }
    }

    private static Project Stamp(Project project, DateTimeOffset now)
    {
        project.CreatedAt = project.UpdatedAt = now - TimeSpan.FromDays(30);
        return project;
    }

    private static AgentProfile Stamp(AgentProfile agent, DateTimeOffset now)
    {
        agent.CreatedAt = agent.UpdatedAt = now - TimeSpan.FromDays(30);
        return agent;
    }

    private static Sprint NewSprint(Project project, string name, SprintStatus status, DateTimeOffset now) => new()
    {
        ProjectId = project.Id,
        Name = name,
        Status = status,
        CreatedAt = now - TimeSpan.FromDays(20),
        UpdatedAt = now - TimeSpan.FromDays(20),
    };

    private static WorkItem NewItem(Faker f, Project project, Sprint? sprint, WorkItemStatus status, DelegationStatus delegation, DateTimeOffset updatedAt, DateTimeOffset now) => new()
    {
        ProjectId = project.Id,
        SprintId = sprint?.Id,
        Type = f.PickRandom(WorkItemType.Task, WorkItemType.Task, WorkItemType.Bug, WorkItemType.Story, WorkItemType.Epic),
        Title = f.Hacker.Phrase(),
        Description = f.Lorem.Paragraph(),
        Status = status,
        DelegationStatus = delegation,
        Priority = f.Random.Int(1, 5),
        EstimatedHours = f.Random.Bool(0.8f) ? Math.Round(f.Random.Decimal(0.25m, 40m), 2) : null,
        ActualHours = status != WorkItemStatus.Todo && f.Random.Bool(0.7f) ? Math.Round(f.Random.Decimal(0m, 60m), 2) : null,
        CreatedAt = now - TimeSpan.FromDays(10),
        UpdatedAt = updatedAt,
    };

    private static TaskAssignment NewAssignment(WorkItem item, AgentProfile agent, AssignmentStatus status, long token, DateTimeOffset assignedAt, DateTimeOffset now) => new()
    {
        WorkItemId = item.Id,
        AgentId = agent.Id,
        AssignedAt = assignedAt,
        StartedAt = status is AssignmentStatus.Started or AssignmentStatus.Paused or AssignmentStatus.Completed ? assignedAt : null,
        CompletedAt = status is AssignmentStatus.Completed or AssignmentStatus.Cancelled ? now - TimeSpan.FromMinutes(1) : null,
        Status = status,
        FencingToken = token,
        CreatedAt = assignedAt,
        UpdatedAt = assignedAt,
    };

    private static FileLock NewLock(AgentSession session, string path, FileLockType type, DateTimeOffset? expiresAt) => new()
    {
        ProjectId = session.ProjectId,
        FilePath = path,
        LockedBySession = session.SessionId,
        LockType = type,
        AcquiredAt = session.StartTime,
        ExpiresAt = expiresAt,
    };
}
