using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Sprints;
using AgentOrchestration.Data.Work;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Testing;

/// <summary>
/// A realistic starting state for a host's test, built in one call through the library's public services only (as the
/// host's own code would build it, with every event and history entry): a project with agents and their sessions, a
/// sprint of epics, stories and dependent tasks, and optionally tasks that are claimed, locked, reviewed or done. It
/// holds the identifiers of everything it made.
/// </summary>
public sealed record OrchestrationWorld
{
    /// <summary>Gets the project.</summary>
    public required Guid ProjectId { get; init; }

    /// <summary>Gets the project's key.</summary>
    public required string ProjectKey { get; init; }

    /// <summary>Gets the sprint holding every work item; active when <see cref="WorldOptions.StartSprint"/> was set.</summary>
    public required Guid SprintId { get; init; }

    /// <summary>Gets the agents, in the order they were registered (claims go round them in that order).</summary>
    public required IReadOnlyList<WorldAgent> Agents { get; init; }

    /// <summary>Gets the key of the active QA session (without an agent) that reviewed the reviewed and done tasks; use it to record more results.</summary>
    public required string ReviewerSessionId { get; init; }

    /// <summary>Gets the epics.</summary>
    public required IReadOnlyList<Guid> EpicIds { get; init; }

    /// <summary>Gets the stories, epic by epic.</summary>
    public required IReadOnlyList<Guid> StoryIds { get; init; }

    /// <summary>Gets the tasks, story by story, each story's in chain order.</summary>
    public required IReadOnlyList<Guid> TaskIds { get; init; }

    /// <summary>Gets the dependencies: within each story, every task after the first waits on the one before it.</summary>
    public required IReadOnlyList<DependencyRequest> Dependencies { get; init; }

    /// <summary>Gets the tasks that were completed (after passing every required QA type).</summary>
    public required IReadOnlyList<Guid> DoneTaskIds { get; init; }

    /// <summary>Gets the held tasks that passed every required QA type and wait to be completed.</summary>
    public required IReadOnlyList<WorldClaim> Reviewed { get; init; }

    /// <summary>Gets the held tasks whose session locked files for them.</summary>
    public required IReadOnlyList<WorldClaim> Locked { get; init; }

    /// <summary>Gets the held tasks that were only claimed.</summary>
    public required IReadOnlyList<WorldClaim> Claimed { get; init; }

    /// <summary>
    /// Builds a world through the services registered in <paramref name="services"/> (the host's provider, or
    /// <see cref="OrchestrationTestDatabase.Services"/>), each call in a scope of its own. The QA policy registered there
    /// decides which results the reviewed and done tasks get.
    /// </summary>
    /// <param name="services">A provider with the library registered (<c>AddAgentOrchestration</c>) on a migrated database.</param>
    /// <param name="options">The world's shape; <see langword="null"/> for the defaults (3 agents, 1 epic, 2 stories of 3 tasks, an active sprint, nothing claimed).</param>
    /// <param name="faker">The factories to draw values from, to share their unique keys with the test; <see langword="null"/> for a new one with <see cref="OrchestrationFaker.DefaultSeed"/>.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The identifiers of what was built.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A count in <paramref name="options"/> is negative, no agent or story is asked for, or more tasks are to be finished and held than exist.</exception>
    /// <exception cref="InvalidOperationException">No ready task was left to claim (see the remarks of <see cref="WorldOptions"/>).</exception>
    public static async Task<OrchestrationWorld> CreateAsync(
        IServiceProvider services, WorldOptions? options = null, OrchestrationFaker? faker = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        options ??= new WorldOptions();
        faker ??= new OrchestrationFaker();
        Validate(options);

        var builder = new Builder(services, options, faker, cancellationToken);
        var project = await builder.Use<IWorkItemService, Project>(w => w.CreateProjectAsync(faker.Project(), cancellationToken)).ConfigureAwait(false);
        var agents = await builder.RegisterAgentsAsync(project.Id).ConfigureAwait(false);
        var reviewer = await builder.Use<ISessionService, AgentSession>(s => s.StartAsync(faker.Session(project.Id, null, SessionAgentType.Qa), cancellationToken)).ConfigureAwait(false);
        var sprint = await builder.Use<ISprintService, Sprint>(s => s.PlanAsync(faker.Sprint(project.Id), cancellationToken)).ConfigureAwait(false);
        var work = await builder.PlanWorkAsync(project.Id, sprint.Id).ConfigureAwait(false);
        if (options.StartSprint)
        {
            await builder.Use<ISprintService, Sprint>(s => s.StartAsync(sprint.Id, "lead", cancellationToken)).ConfigureAwait(false);
        }

        var claims = new Claims(builder, project.Id, agents, reviewer.SessionId, work.StoryIds.Count);
        var done = await claims.CompleteAsync(options.Done).ConfigureAwait(false);
        var reviewed = await claims.ReviewAsync(options.Reviewed).ConfigureAwait(false);
        var locked = await claims.LockAsync(options.Locked).ConfigureAwait(false);
        var claimedOnly = await claims.ClaimAsync(options.Claimed).ConfigureAwait(false);

        return new OrchestrationWorld
        {
            ProjectId = project.Id,
            ProjectKey = project.Key,
            SprintId = sprint.Id,
            Agents = agents,
            ReviewerSessionId = reviewer.SessionId,
            EpicIds = work.EpicIds,
            StoryIds = work.StoryIds,
            TaskIds = work.TaskIds,
            Dependencies = work.Dependencies,
            DoneTaskIds = done,
            Reviewed = reviewed,
            Locked = locked,
            Claimed = claimedOnly,
        };
    }

    private static void Validate(WorldOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Agents, 1, nameof(options.Agents));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Epics, 1, nameof(options.Epics));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.StoriesPerEpic, 1, nameof(options.StoriesPerEpic));
        ArgumentOutOfRangeException.ThrowIfNegative(options.TasksPerStory, nameof(options.TasksPerStory));
        ArgumentOutOfRangeException.ThrowIfNegative(options.Done, nameof(options.Done));
        ArgumentOutOfRangeException.ThrowIfNegative(options.Reviewed, nameof(options.Reviewed));
        ArgumentOutOfRangeException.ThrowIfNegative(options.Locked, nameof(options.Locked));
        ArgumentOutOfRangeException.ThrowIfNegative(options.Claimed, nameof(options.Claimed));
        ArgumentNullException.ThrowIfNull(options.Capabilities, nameof(options.Capabilities));
        if (options.Capabilities.Count == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "A world needs at least one capability: its tasks each require one.");
        }

        var tasks = options.Epics * options.StoriesPerEpic * options.TasksPerStory;
        var wanted = options.Done + options.Reviewed + options.Locked + options.Claimed;
        if (wanted > tasks)
        {
            throw new ArgumentOutOfRangeException(nameof(options), wanted, $"The world has {tasks} tasks; {wanted} cannot be done, reviewed, locked or claimed.");
        }
    }

    /// <summary>Runs each call in a DI scope of its own, as a host runs each request, and builds the world's parts.</summary>
    private sealed class Builder(IServiceProvider services, WorldOptions options, OrchestrationFaker faker, CancellationToken cancellationToken)
    {
        public WorldOptions Options => options;

        public OrchestrationFaker Faker => faker;

        public CancellationToken CancellationToken => cancellationToken;

        public async Task<T> Use<TService, T>(Func<TService, Task<T>> action)
            where TService : notnull
        {
            var scope = services.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                return await action(scope.ServiceProvider.GetRequiredService<TService>()).ConfigureAwait(false);
            }
        }

        public async Task<Guid> CreateAsync(NewWorkItem item) =>
            (await Use<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(item, cancellationToken)).ConfigureAwait(false)).Id;

        /// <summary>The agents, each with every capability of the world and an active session in the project.</summary>
        public async Task<List<WorldAgent>> RegisterAgentsAsync(Guid projectId)
        {
            var held = options.Reviewed + options.Locked + options.Claimed;
            var agents = new List<WorldAgent>();
            for (var i = 0; i < options.Agents; i++)
            {
                var registration = faker.Agent(a =>
                {
                    a.Capabilities = [.. options.Capabilities.Select(c => new CapabilityEntry { Name = c, Proficiency = faker.Faker.Random.Int(2, 5) })];
                    a.MaxConcurrentTasks = Math.Max(3, held);
                });
                var agent = await Use<IAgentRegistry, AgentProfile>(r => r.RegisterAsync(registration, cancellationToken)).ConfigureAwait(false);
                var session = await Use<ISessionService, AgentSession>(s => s.StartAsync(faker.Session(projectId, agent.Id), cancellationToken)).ConfigureAwait(false);
                agents.Add(new WorldAgent(agent.Id, agent.Slug, session.SessionId, [.. registration.Capabilities.Select(c => c.Name)]));
            }

            return agents;
        }

        /// <summary>The epics, their stories and each story's chain of dependent tasks, all in the sprint.</summary>
        public async Task<WorkPlan> PlanWorkAsync(Guid projectId, Guid sprintId)
        {
            var plan = new WorkPlan([], [], [], []);
            for (var e = 0; e < options.Epics; e++)
            {
                var epic = await CreateAsync(faker.Epic(projectId, w => w.SprintId = sprintId)).ConfigureAwait(false);
                plan.EpicIds.Add(epic);
                for (var s = 0; s < options.StoriesPerEpic; s++)
                {
                    var story = await CreateAsync(faker.Story(projectId, epic, w => w.SprintId = sprintId)).ConfigureAwait(false);
                    plan.StoryIds.Add(story);
                    await ChainTasksAsync(projectId, sprintId, story, plan).ConfigureAwait(false);
                }
            }

            return plan;
        }

        private async Task ChainTasksAsync(Guid projectId, Guid sprintId, Guid story, WorkPlan plan)
        {
            Guid? previous = null;
            for (var t = 0; t < options.TasksPerStory; t++)
            {
                var task = await CreateAsync(faker.Task(projectId, story, w =>
                {
                    w.SprintId = sprintId;
                    w.RequiredCapabilities = [options.Capabilities[faker.Faker.Random.Int(0, options.Capabilities.Count - 1)]];
                })).ConfigureAwait(false);
                plan.TaskIds.Add(task);
                if (previous is { } before)
                {
                    var dependency = new DependencyRequest(task, before);
                    await Use<IWorkItemService, bool>(async w =>
                    {
                        await w.AddDependencyAsync(dependency, cancellationToken).ConfigureAwait(false);
                        return true;
                    }).ConfigureAwait(false);
                    plan.Dependencies.Add(dependency);
                }

                previous = task;
            }
        }
    }

    /// <summary>The work items of a world, in creation order.</summary>
    private sealed record WorkPlan(List<Guid> EpicIds, List<Guid> StoryIds, List<Guid> TaskIds, List<DependencyRequest> Dependencies);

    /// <summary>Claims the world's ready tasks in turn round the agents, then completes, reviews or locks them.</summary>
    private sealed class Claims(Builder builder, Guid projectId, IReadOnlyList<WorldAgent> agents, string reviewerSessionId, int stories)
    {
        private readonly CancellationToken cancellationToken = builder.CancellationToken;
        private readonly int wanted = builder.Options.Done + builder.Options.Reviewed + builder.Options.Locked + builder.Options.Claimed;
        private int turn;

        /// <summary>Claims, passes review and completes <paramref name="count"/> tasks.</summary>
        public async Task<List<Guid>> CompleteAsync(int count)
        {
            var done = new List<Guid>();
            for (var i = 0; i < count; i++)
            {
                var claim = await NextAsync().ConfigureAwait(false);
                await PassReviewAsync(claim.TaskId).ConfigureAwait(false);
                await builder.Use<IWorkClaimer, bool>(async c =>
                {
                    await c.CompleteAsync(claim.Lease, cancellationToken).ConfigureAwait(false);
                    return true;
                }).ConfigureAwait(false);
                done.Add(claim.TaskId);
            }

            return done;
        }

        /// <summary>Claims and passes review of <paramref name="count"/> tasks, left to complete.</summary>
        public async Task<List<WorldClaim>> ReviewAsync(int count)
        {
            var reviewed = new List<WorldClaim>();
            for (var i = 0; i < count; i++)
            {
                var claim = await NextAsync().ConfigureAwait(false);
                await PassReviewAsync(claim.TaskId).ConfigureAwait(false);
                reviewed.Add(claim);
            }

            return reviewed;
        }

        /// <summary>Claims <paramref name="count"/> tasks whose sessions then lock files for them.</summary>
        public async Task<List<WorldClaim>> LockAsync(int count)
        {
            var locked = new List<WorldClaim>();
            for (var i = 0; i < count; i++)
            {
                var claim = await NextAsync().ConfigureAwait(false);
                var request = builder.Faker.Locks(claim.SessionId);
                var locks = await builder.Use<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.AcquireAsync(request, cancellationToken)).ConfigureAwait(false);
                locked.Add(claim with { LockedPaths = [.. locks.Select(l => l.Path)] });
            }

            return locked;
        }

        /// <summary>Claims <paramref name="count"/> tasks.</summary>
        public async Task<List<WorldClaim>> ClaimAsync(int count)
        {
            var claimed = new List<WorldClaim>();
            for (var i = 0; i < count; i++)
            {
                claimed.Add(await NextAsync().ConfigureAwait(false));
            }

            return claimed;
        }

        private async Task<WorldClaim> NextAsync()
        {
            var agent = agents[turn++ % agents.Count];
            var claimOptions = new ClaimOptions { SessionId = agent.SessionId, LeaseDuration = builder.Options.LeaseDuration };
            var claimed = await builder.Use<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(agent.Id, projectId, claimOptions, cancellationToken)).ConfigureAwait(false)
                ?? throw new InvalidOperationException(
                    $"The world has no ready task left for claim {turn} of {wanted}: one task per unfinished story is ready at a time ({stories} stories of {builder.Options.TasksPerStory} tasks). Ask for more stories or fewer done, reviewed, locked and claimed tasks.");
            return new WorldClaim(claimed.Lease.WorkItemId, agent.Id, agent.SessionId, claimed.Lease, []);
        }

        private async Task PassReviewAsync(Guid taskId)
        {
            var state = await builder.Use<IQaService, QaState>(q => q.GetStateAsync(taskId, cancellationToken)).ConfigureAwait(false);
            var types = state.RequiredTypes.Count > 0 ? state.RequiredTypes : [QaType.CodeReview];
            foreach (var type in types)
            {
                var result = builder.Faker.QaResult(taskId, reviewerSessionId, type, QaResultStatus.Pass);
                await builder.Use<IQaService, QaResult>(q => q.RecordResultAsync(result, cancellationToken)).ConfigureAwait(false);
            }
        }
    }
}
