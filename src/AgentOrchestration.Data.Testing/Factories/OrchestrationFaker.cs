using System.Globalization;
using System.Text;
using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Backlog;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Delegation;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Sprints;
using AgentOrchestration.Data.Work;
using Bogus;

namespace AgentOrchestration.Data.Testing;

/// <summary>
/// Seeded Bogus factories for every request a host passes to the library: each method returns a new value that the
/// library's validation accepts, so a test changes only the fields it is about.
/// </summary>
/// <remarks>
/// <para>
/// <b>Deterministic.</b> Two instances with the same seed return the same values for the same sequence of calls (with
/// the same versions of this package and Bogus), so a failing test that prints its seed can be replayed.
/// </para>
/// <para>
/// <b>Unique where the library requires it.</b> Project keys, agent slugs, session keys and lock paths carry a short token
/// drawn from the seed and a running number of the instance, so they never repeat within one instance, and rarely across
/// seeds. Two instances with the <em>same</em> seed make the same keys: on one database, share one instance (a world
/// and the test around it can) or give each its own seed.
/// </para>
/// <para>
/// <b>Changing a field.</b> Records (<see cref="SessionStart"/>, <see cref="NewQaResult"/>, <see cref="BacklogSubmission"/>,
/// <see cref="ProjectRequest"/>, <see cref="LockRequest"/>, <see cref="HeartbeatRequest"/>, …) change with <c>with</c>:
/// <c>faker.Session(projectId) with { RiskLevel = 7 }</c>. The request classes with setters
/// (<see cref="AgentRegistration"/>, <see cref="NewWorkItem"/>, <see cref="AgentProfileUpdate"/>, <see cref="ClaimOptions"/>,
/// <see cref="DelegationOptions"/>) take an optional <c>configure</c> callback:
/// <c>faker.Agent(a =&gt; a.MaxConcurrentTasks = 3)</c>. Fields whose valid values depend on each other (a QA result's
/// status and its remediation, a work item's type and parent) are parameters of the method instead.
/// A bad-input test starts from a valid value and breaks exactly one field the same way.
/// </para>
/// <para>Thread-safe: calls are serialized, so determinism holds for the order in which calls are made.</para>
/// </remarks>
public sealed class OrchestrationFaker
{
    /// <summary>The seed of <see cref="OrchestrationFaker()"/>.</summary>
    public const int DefaultSeed = 20261123;

    private static readonly string[] AgentTypes = ["backend-engineer", "frontend-engineer", "qa-engineer", "devops-engineer", "architect"];
    private static readonly string[] AgentModes = ["implementation", "planning", "review"];
    private static readonly string[] Severities = ["info", "minor", "major", "critical"];
    private static readonly string[] Extensions = [".cs", ".ts", ".sql", ".md", ".json"];
    private static readonly string[] CapabilityPool = ["csharp", "sql", "typescript", "testing", "docs"];

    private readonly Lock gate = new();
    private readonly string token;
    private int next;

    /// <summary>Creates factories seeded with <see cref="DefaultSeed"/>.</summary>
    public OrchestrationFaker()
        : this(DefaultSeed)
    {
    }

    /// <summary>Creates factories seeded with <paramref name="seed"/>.</summary>
    /// <param name="seed">The seed: the same seed gives the same values for the same calls.</param>
    public OrchestrationFaker(int seed)
    {
        Seed = seed;
        Faker = new Faker("en") { Random = new Randomizer(seed) };
        token = Faker.Random.String2(4, "abcdefghijklmnopqrstuvwxyz0123456789");
    }

    /// <summary>Gets the capabilities agents and work items are given by default; a world gives its agents all of them.</summary>
    public static IReadOnlyList<string> Capabilities { get; } = CapabilityPool.AsReadOnly();

    /// <summary>Gets the seed this instance was created with.</summary>
    public int Seed { get; }

    /// <summary>
    /// Gets the underlying Bogus faker, seeded the same way, for a host's own values. Drawing from it advances the same
    /// sequence as the factory methods, so it stays deterministic; it is not thread-safe.
    /// </summary>
    public Faker Faker { get; }

    /// <summary>A project to create with <see cref="RequestExtensions.CreateProjectAsync"/>: a unique key, a company name and a catch phrase.</summary>
    /// <returns>A valid project request.</returns>
    public ProjectRequest Project()
    {
        lock (gate)
        {
            var key = $"{Word(Faker.Hacker.Noun())}-{token}-{++next}";
            return new ProjectRequest(key, Faker.Company.CompanyName(), Faker.Company.CatchPhrase());
        }
    }

    /// <summary>
    /// An agent to register with <see cref="IAgentRegistry.RegisterAsync"/>: a unique slug, a type and mode, one to three
    /// of <see cref="Capabilities"/> with proficiencies 1 to 5, constraints, tools, metadata and a limit of 1 to 5 tasks.
    /// </summary>
    /// <param name="configure">Changes fields of the generated registration before it is returned.</param>
    /// <returns>A valid registration.</returns>
    public AgentRegistration Agent(Action<AgentRegistration>? configure = null)
    {
        AgentRegistration registration;
        lock (gate)
        {
            var type = Faker.PickRandom(AgentTypes);
            var count = Faker.Random.Int(1, 3);
            registration = new AgentRegistration
            {
                Name = Faker.Name.FullName(),
                Slug = $"{type}-{token}-{++next}",
                Type = type,
                Mode = Faker.PickRandom(AgentModes),
                Description = Faker.Lorem.Sentence(),
                Capabilities = [.. Faker.PickRandom(CapabilityPool, count).Select(c => new CapabilityEntry { Name = c, Proficiency = Faker.Random.Int(1, 5) })],
                Constraints = new AgentConstraints
                {
                    Rules = [Faker.Lorem.Sentence()],
                    AllowedPaths = ["src/**", "tests/**"],
                    ForbiddenPaths = ["secrets/**"],
                    MaxHoursPerTask = Faker.Random.Int(2, 16),
                },
                Tools = [new AgentTool { Name = "git", Description = "version control" }, new AgentTool { Name = Word(Faker.Hacker.Abbreviation()), Description = Faker.Hacker.Phrase() }],
                Metadata = [new MetadataEntry { Key = "team", Value = Faker.Commerce.Department() }],
                MaxConcurrentTasks = Faker.Random.Int(1, 5),
            };
        }

        configure?.Invoke(registration);
        return registration;
    }

    /// <summary>
    /// Changes to an agent profile for <see cref="IAgentRegistry.UpdateAsync"/>: a new name, description and mode; the
    /// type, constraints, tools and metadata are left as they are (set them with <paramref name="configure"/>).
    /// </summary>
    /// <param name="configure">Changes fields of the generated update before it is returned.</param>
    /// <returns>A valid profile update.</returns>
    public AgentProfileUpdate AgentUpdate(Action<AgentProfileUpdate>? configure = null)
    {
        AgentProfileUpdate update;
        lock (gate)
        {
            update = new AgentProfileUpdate
            {
                Name = Faker.Name.FullName(),
                Description = Faker.Lorem.Sentence(),
                Mode = Faker.PickRandom(AgentModes),
            };
        }

        configure?.Invoke(update);
        return update;
    }

    /// <summary>
    /// A work item of <paramref name="type"/> to create with <see cref="IWorkItemService.CreateWorkItemAsync"/>: a title,
    /// description, success criteria, priority 1 to 5, an estimate, and for tasks and bugs one required capability of
    /// <see cref="Capabilities"/>.
    /// </summary>
    /// <param name="projectId">The project.</param>
    /// <param name="type">The kind of item.</param>
    /// <param name="parentId">The parent: none for an epic, an epic for a story, a story or epic for a task or bug.</param>
    /// <param name="configure">Changes fields of the generated item before it is returned (for example its sprint).</param>
    /// <returns>A valid new work item.</returns>
    /// <exception cref="ArgumentException"><paramref name="type"/> is <see cref="WorkItemType.Epic"/> and a parent is given (an epic has none).</exception>
    public NewWorkItem WorkItem(Guid projectId, WorkItemType type, Guid? parentId = null, Action<NewWorkItem>? configure = null)
    {
        if (type == WorkItemType.Epic && parentId is not null)
        {
            throw new ArgumentException("An epic has no parent; pass parentId only for stories, tasks and bugs.", nameof(parentId));
        }

        NewWorkItem item;
        lock (gate)
        {
            var claimable = type is WorkItemType.Task or WorkItemType.Bug;
            item = new NewWorkItem
            {
                ProjectId = projectId,
                Type = type,
                ParentId = parentId,
                Title = Title(type),
                Description = Faker.Lorem.Paragraph(),
                SuccessCriteria = Faker.Lorem.Sentence(),
                Priority = Faker.Random.Int(1, 5),
                EstimatedHours = Math.Round(Faker.Random.Decimal(0.5m, claimable ? 16 : 80), 1),
                RequiredCapabilities = claimable ? [Faker.PickRandom(CapabilityPool)] : [],
            };
        }

        configure?.Invoke(item);
        return item;
    }

    /// <summary>An epic (see <see cref="WorkItem"/>).</summary>
    /// <param name="projectId">The project.</param>
    /// <param name="configure">Changes fields of the generated item before it is returned.</param>
    /// <returns>A valid new epic.</returns>
    public NewWorkItem Epic(Guid projectId, Action<NewWorkItem>? configure = null) => WorkItem(projectId, WorkItemType.Epic, null, configure);

    /// <summary>A story (see <see cref="WorkItem"/>).</summary>
    /// <param name="projectId">The project.</param>
    /// <param name="epicId">The epic it belongs to, if any.</param>
    /// <param name="configure">Changes fields of the generated item before it is returned.</param>
    /// <returns>A valid new story.</returns>
    public NewWorkItem Story(Guid projectId, Guid? epicId = null, Action<NewWorkItem>? configure = null) => WorkItem(projectId, WorkItemType.Story, epicId, configure);

    /// <summary>A task (see <see cref="WorkItem"/>).</summary>
    /// <param name="projectId">The project.</param>
    /// <param name="parentId">The story or epic it belongs to, if any.</param>
    /// <param name="configure">Changes fields of the generated item before it is returned.</param>
    /// <returns>A valid new task.</returns>
    public NewWorkItem Task(Guid projectId, Guid? parentId = null, Action<NewWorkItem>? configure = null) => WorkItem(projectId, WorkItemType.Task, parentId, configure);

    /// <summary>A bug (see <see cref="WorkItem"/>).</summary>
    /// <param name="projectId">The project.</param>
    /// <param name="parentId">The story or epic it belongs to, if any.</param>
    /// <param name="configure">Changes fields of the generated item before it is returned.</param>
    /// <returns>A valid new bug.</returns>
    public NewWorkItem Bug(Guid projectId, Guid? parentId = null, Action<NewWorkItem>? configure = null) => WorkItem(projectId, WorkItemType.Bug, parentId, configure);

    /// <summary>
    /// Dependencies among <paramref name="workItemIds"/> with no cycle: each item may wait only on items listed before it,
    /// each earlier one with probability <paramref name="probability"/>.
    /// </summary>
    /// <param name="workItemIds">Items of one project, in the order work should flow.</param>
    /// <param name="probability">The chance, 0 to 1, that an item waits on a given earlier item.</param>
    /// <returns>Valid dependencies to add with <see cref="RequestExtensions.AddDependencyAsync"/>, possibly none.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="probability"/> is outside 0 to 1.</exception>
    public IReadOnlyList<DependencyRequest> Dependencies(IReadOnlyList<Guid> workItemIds, double probability = 0.3)
    {
        ArgumentNullException.ThrowIfNull(workItemIds);
        ArgumentOutOfRangeException.ThrowIfLessThan(probability, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(probability, 1);
        lock (gate)
        {
            var dependencies = new List<DependencyRequest>();
            for (var i = 1; i < workItemIds.Count; i++)
            {
                for (var j = 0; j < i; j++)
                {
                    if (Faker.Random.Double() < probability)
                    {
                        dependencies.Add(new DependencyRequest(workItemIds[i], workItemIds[j]));
                    }
                }
            }

            return dependencies;
        }
    }

    /// <summary>A sprint to plan with <see cref="ISprintService.PlanAsync"/>: a numbered name and a goal, no dates (starting and completing fill them).</summary>
    /// <param name="projectId">The project.</param>
    /// <returns>A valid sprint plan.</returns>
    public SprintPlan Sprint(Guid projectId)
    {
        lock (gate)
        {
            return new SprintPlan(projectId, $"Sprint {++next}") { Goal = Faker.Company.CatchPhrase(), Actor = "lead" };
        }
    }

    /// <summary>
    /// A session to start with <see cref="ISessionService.StartAsync"/>: a unique key such as <c>implementation-k3x9-12</c>,
    /// a risk level of 0 to 3, the standard oversight level and a current action.
    /// </summary>
    /// <param name="projectId">The project.</param>
    /// <param name="agentId">The agent running it (it must be active), or <see langword="null"/> for a session without an agent.</param>
    /// <param name="agentType">The agent's role.</param>
    /// <returns>A valid session start.</returns>
    public SessionStart Session(Guid projectId, Guid? agentId = null, SessionAgentType agentType = SessionAgentType.Implementation)
    {
        lock (gate)
        {
            var role = agentType.ToString().ToLowerInvariant();
            return new SessionStart(projectId, agentType)
            {
                SessionId = $"{role}-{token}-{++next}",
                AgentId = agentId,
                RiskLevel = Faker.Random.Int(0, 3),
                CurrentAction = $"Reading the {Faker.Hacker.Noun()} code",
            };
        }
    }

    /// <summary>
    /// A heartbeat to send with <see cref="RequestExtensions.HeartbeatAsync"/>: a current action (a heartbeat that changes it
    /// appends <c>session.action_changed</c>) and no lease duration, so the session's held leases are renewed by the
    /// library's default.
    /// </summary>
    /// <param name="sessionId">The active or paused session.</param>
    /// <returns>A valid heartbeat.</returns>
    public HeartbeatRequest Heartbeat(string sessionId)
    {
        lock (gate)
        {
            return new HeartbeatRequest(sessionId, $"{Pascal(Faker.Hacker.IngVerb())} the {Faker.Hacker.Noun()} code");
        }
    }

    /// <summary>
    /// Options for <see cref="IWorkClaimer.ClaimNextAsync"/>: a lease of 5 to 60 minutes, an actor, the claiming
    /// session, and no idempotency key (set one with <paramref name="configure"/>: a key makes a repeated claim replay
    /// the first).
    /// </summary>
    /// <param name="sessionId">The claiming agent's active session, recorded as the implementing session; <see langword="null"/> for none.</param>
    /// <param name="configure">Changes fields of the generated options before they are returned.</param>
    /// <returns>Valid claim options.</returns>
    public ClaimOptions Claim(string? sessionId = null, Action<ClaimOptions>? configure = null)
    {
        ClaimOptions options;
        lock (gate)
        {
            options = new ClaimOptions
            {
                LeaseDuration = TimeSpan.FromMinutes(Faker.Random.Int(5, 60)),
                Actor = Faker.Internet.UserName(),
                SessionId = sessionId,
            };
        }

        configure?.Invoke(options);
        return options;
    }

    /// <summary>
    /// Options for an <see cref="IDelegationService"/> change (assign, start, reassign, …): an actor, a note and a handed-over
    /// context with notes, instructions and a file; no fencing token (a lease holder sets its own with <paramref name="configure"/>).
    /// </summary>
    /// <param name="sessionId">The session that will implement the work, for assign, reassign and start; <see langword="null"/> for none.</param>
    /// <param name="configure">Changes fields of the generated options before they are returned.</param>
    /// <returns>Valid delegation options.</returns>
    public DelegationOptions Delegation(string? sessionId = null, Action<DelegationOptions>? configure = null)
    {
        DelegationOptions options;
        lock (gate)
        {
            options = new DelegationOptions
            {
                Actor = Faker.Internet.UserName(),
                Note = Faker.Lorem.Sentence(),
                SessionId = sessionId,
                Context = new DelegationContext { Notes = Faker.Lorem.Sentence(), Instructions = Faker.Lorem.Sentence(), Files = [$"src/{Pascal(Faker.Hacker.Noun())}.cs"] },
            };
        }

        configure?.Invoke(options);
        return options;
    }

    /// <summary>
    /// File locks to take with <see cref="RequestExtensions.AcquireAsync"/>: one to three files under a directory no other
    /// request of this instance names, so they never conflict with each other, for 10 to 60 minutes.
    /// </summary>
    /// <param name="sessionId">The active session taking the locks.</param>
    /// <param name="lockType">Exclusive or shared.</param>
    /// <returns>A valid lock request.</returns>
    public LockRequest Locks(string sessionId, FileLockType lockType = FileLockType.Exclusive)
    {
        lock (gate)
        {
            var directory = $"src/{Word(Faker.Hacker.Noun())}-{token}-{++next}";
            var paths = Enumerable.Range(1, Faker.Random.Int(1, 3))
                .Select(i => $"{directory}/{Pascal(Faker.Hacker.Verb())}{Pascal(Faker.Hacker.Noun())}{i}{Faker.PickRandom(Extensions)}")
                .ToList();
            return new LockRequest(sessionId, paths, lockType, TimeSpan.FromMinutes(Faker.Random.Int(10, 60)));
        }
    }

    /// <summary>
    /// A QA result to record with <see cref="IQaService.RecordResultAsync"/>: zero to two findings with files and lines,
    /// and a remediation when <paramref name="status"/> is <see cref="QaResultStatus.Fail"/> (a failing result needs one).
    /// A <see cref="QaType.SuccessCriteria"/> result leaves <see cref="NewQaResult.SuccessCriteriaMet"/> to follow the status.
    /// </summary>
    /// <param name="taskId">The task or bug reviewed.</param>
    /// <param name="sessionId">The reviewing session: active, in the task's project, not the implementing one.</param>
    /// <param name="qaType">The kind of check.</param>
    /// <param name="status">The outcome.</param>
    /// <returns>A valid QA result.</returns>
    public NewQaResult QaResult(Guid taskId, string sessionId, QaType qaType = QaType.CodeReview, QaResultStatus status = QaResultStatus.Pass)
    {
        lock (gate)
        {
            var findings = Enumerable.Range(0, Faker.Random.Int(0, 2))
                .Select(_ => new QaFinding
                {
                    Severity = Faker.PickRandom(Severities),
                    Message = Faker.Lorem.Sentence(),
                    File = $"src/{Pascal(Faker.Hacker.Noun())}.cs",
                    Line = Faker.Random.Int(1, 400),
                })
                .ToList();
            var violations = qaType == QaType.MockDetection && status == QaResultStatus.Fail
                ? [new MockViolation { Description = $"The {Faker.Hacker.Noun()} is stubbed", File = $"src/{Pascal(Faker.Hacker.Noun())}.cs", Line = Faker.Random.Int(1, 400) }]
                : (List<MockViolation>?)null;
            return new NewQaResult(taskId, sessionId, qaType, status)
            {
                Findings = findings,
                MockViolations = violations,
                RemediationNeeded = status == QaResultStatus.Fail ? Faker.Lorem.Sentence() : null,
            };
        }
    }

    /// <summary>An idea to submit with <see cref="IBacklogService.SubmitAsync"/>: texts, priority 1 to 5, business value 1 to 10 and a complexity.</summary>
    /// <param name="projectId">The project.</param>
    /// <returns>A valid backlog submission.</returns>
    public BacklogSubmission BacklogSubmission(Guid projectId)
    {
        lock (gate)
        {
            return new BacklogSubmission(projectId, Title(WorkItemType.Story), Faker.Lorem.Paragraph(), Faker.Lorem.Sentence())
            {
                Priority = Faker.Random.Int(1, 5),
                BusinessValue = Faker.Random.Int(1, 10),
                Complexity = Faker.PickRandom<Complexity>(),
                CreatedBy = Faker.Internet.UserName(),
            };
        }
    }

    /// <summary>An analysis to record with <see cref="IBacklogService.RecordAnalysisAsync"/>: a risk score 0 to 100, a complexity and notes.</summary>
    /// <param name="agent">The agent analysing the item (the one it is assigned to).</param>
    /// <returns>A valid analysis.</returns>
    public BacklogAnalysis BacklogAnalysis(string agent)
    {
        lock (gate)
        {
            return new BacklogAnalysis(agent)
            {
                RiskScore = Faker.Random.Int(0, 100),
                Complexity = Faker.PickRandom<Complexity>(),
                PrimeNotes = Faker.Lorem.Paragraph(),
            };
        }
    }

    /// <summary>A promotion for <see cref="IBacklogService.PromoteAsync"/>, with an estimate and no epic or sprint (set them with <c>with</c>).</summary>
    /// <param name="agent">The agent promoting the item.</param>
    /// <returns>A valid promotion.</returns>
    public BacklogPromotion BacklogPromotion(string agent)
    {
        lock (gate)
        {
            return new BacklogPromotion(agent) { EstimatedHours = Math.Round(Faker.Random.Decimal(1, 40), 1) };
        }
    }

    private string Title(WorkItemType type) => type switch
    {
        WorkItemType.Epic => $"{Faker.Commerce.Department()}: {Faker.Company.CatchPhrase()}",
        WorkItemType.Story => $"As a {Faker.Name.JobTitle().ToLowerInvariant()}, I can {Faker.Hacker.Verb()} the {Faker.Hacker.Noun()}",
        WorkItemType.Bug => $"The {Faker.Hacker.Adjective()} {Faker.Hacker.Noun()} fails to {Faker.Hacker.Verb()}",
        _ => Faker.Hacker.Phrase(),
    };

    /// <summary>A value as a slug segment: lowercase ASCII letters and digits, spaces as dashes.</summary>
    private static string Word(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value.ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                builder.Append(c);
            }
            else if (builder.Length > 0 && builder[^1] != '-')
            {
                builder.Append('-');
            }
        }

        var word = builder.ToString().Trim('-');
        return word.Length == 0 ? "x" : word;
    }

    private static string Pascal(string value) =>
        string.Concat(Word(value).Split('-').Select(w => char.ToUpper(w[0], CultureInfo.InvariantCulture) + w[1..]));
}
