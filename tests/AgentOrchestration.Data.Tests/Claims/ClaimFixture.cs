using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AgentOrchestration.Data.Tests.Claims;

/// <summary>A migrated database with a project and one capable agent, the library on a fake clock, and a way to add ready work.</summary>
public abstract class ClaimFixture(DatabaseProvider provider, int agentLimit) : ProviderFixture(provider)
{
    // NUnit shares one fixture instance between its tests: every test gets a fresh clock.
    protected FakeTimeProvider Clock { get; private set; } = null!;

    protected ServiceProvider Services { get; private set; } = null!;

    protected Project Project { get; private set; } = null!;

    protected AgentProfile Agent { get; private set; } = null!;

    [SetUp]
    public async Task SeedAsync()
    {
        Clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        await using (await MigratedContextAsync())
        {
        }

        Services = OrchestrationServices.Create(Database, Clock, configure: OrchestrationServices.WithoutQaGate);
        Project = Fakes.Project();
        Agent = Fakes.Agent();
        Agent.MaxConcurrentTasks = agentLimit;
        Agent.CapabilityRecords.Add(new AgentCapability { Capability = "csharp", CreatedAt = Clock.GetUtcNow() });
        await using var db = CreateContext();
        db.AddRange(Project, Agent);
        await db.SaveChangesAsync();
    }

    [TearDown]
    public async Task DisposeServicesAsync() => await Services.DisposeAsync();

    /// <summary>Adds a ready item of the project, one fake millisecond after the previous one.</summary>
    protected async Task<WorkItem> AddItemAsync(int priority, List<string>? capabilities = null, WorkItemType type = WorkItemType.Task)
    {
        await using var db = CreateContext();
        var item = Fakes.WorkItem(Project, type);
        item.Project = null;
        item.ProjectId = Project.Id;
        item.Priority = priority;
        item.RequiredCapabilities = capabilities ?? ["csharp"];
        item.CreatedAt = Clock.GetUtcNow();
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        db.Add(item);
        await db.SaveChangesAsync();
        return item;
    }
}
