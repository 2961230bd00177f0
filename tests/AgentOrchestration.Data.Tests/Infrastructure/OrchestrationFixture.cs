using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>
/// A migrated database, the library registered as a host registers it on a fake clock, and the seeding the area
/// fixtures share, done as a host's test does it: values from the Testing package's factories passed to the library's
/// public services (so seeded rows carry their events and history like any other). Each area fixture adds only what is
/// its own (snapshots, area-specific helpers).
/// </summary>
public abstract class OrchestrationFixture(DatabaseProvider provider) : ProviderFixture(provider)
{
    /// <summary>The capability seeded agents have and seeded tasks require, so that a seeded agent can claim seeded work.</summary>
    public const string Capability = "csharp";

    public static readonly DateTimeOffset StartTime = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    // NUnit shares one fixture instance between its tests: every test gets a fresh clock and services.
    protected FakeTimeProvider Clock { get; private set; } = null!;

    protected ServiceProvider Services { get; set; } = null!;

    /// <summary>The package's factories; one instance for the run, so keys never repeat across tests.</summary>
    protected static OrchestrationFaker Faker => Fakes.Factory;

    /// <summary>The fake time every test starts at; <see cref="StartTime"/> unless a fixture's expectations are written for another.</summary>
    protected virtual DateTimeOffset ClockStart => StartTime;

    /// <summary>The last event the fixture's own seeding appended; see <see cref="TestEvents"/>.</summary>
    protected long SeededThrough { get; private set; }

    protected override bool StartsMigrated => true;

    [SetUp]
    public void StartServices()
    {
        Clock = new FakeTimeProvider(ClockStart);
        SeededThrough = 0;
        Services = BuildServices();
    }

    [TearDown]
    public async Task DisposeServicesAsync()
    {
        if (Services is not null)
        {
            await Services.DisposeAsync();
        }
    }

    /// <summary>The library as a host registers it on this database and clock; a fixture overrides it for its configuration.</summary>
    protected virtual ServiceProvider BuildServices() => OrchestrationServices.Create(Database, Clock);

    /// <summary>Runs <paramref name="action"/> with a service in its own DI scope (its own context and connection), as a host runs each request.</summary>
    protected async Task<T> UseAsync<TService, T>(Func<TService, Task<T>> action)
        where TService : notnull
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<TService>());
    }

    /// <summary>Creates a project from the factory through <see cref="IWorkItemService"/>.</summary>
    protected Task<Project> CreateProjectAsync() => UseAsync<IWorkItemService, Project>(w => w.CreateProjectAsync(Faker.Project()));

    /// <summary>Registers an agent from the factory with the one <see cref="Capability"/> and a limit of <paramref name="maxConcurrentTasks"/>.</summary>
    protected Task<AgentProfile> RegisterAgentAsync(int maxConcurrentTasks = 1, Action<AgentRegistration>? configure = null) =>
        UseAsync<IAgentRegistry, AgentProfile>(r => r.RegisterAsync(Faker.Agent(a =>
        {
            a.Capabilities = [new CapabilityEntry { Name = Capability, Proficiency = 4 }];
            a.MaxConcurrentTasks = maxConcurrentTasks;
            configure?.Invoke(a);
        })));

    /// <summary>Creates a work item from the factory through <see cref="IWorkItemService"/>, requiring <see cref="Capability"/> unless <paramref name="configure"/> says otherwise.</summary>
    protected Task<WorkItem> CreateWorkAsync(Project project, WorkItemType type = WorkItemType.Task, Action<NewWorkItem>? configure = null) =>
        UseAsync<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(Faker.WorkItem(project.Id, type, configure: item =>
        {
            item.RequiredCapabilities = [Capability];
            configure?.Invoke(item);
        })));

    /// <summary>Starts a session from the factory through <see cref="ISessionService"/>; <paramref name="configure"/> changes the start with <c>with</c>.</summary>
    protected Task<AgentSession> StartSessionAsync(Project project, Guid? agentId, Func<SessionStart, SessionStart>? configure = null) =>
        UseAsync<ISessionService, AgentSession>(s => s.StartAsync((configure ?? (start => start))(Faker.Session(project.Id, agentId))));

    /// <summary>Marks everything written so far as the fixture's seed; call it at the end of a fixture's own set-up.</summary>
    protected async Task MarkSeededAsync()
    {
        await using var db = CreateContext();
        SeededThrough = await db.Events.MaxAsync(e => (long?)e.Sequence) ?? 0;
    }

    /// <summary>The events the test itself caused: those after the fixture's seed (its project, agents, …).</summary>
    protected IQueryable<OrchestrationEvent> TestEvents(AgentOrchestrationDbContext db) => db.Events.Where(e => e.Sequence > SeededThrough);
}
