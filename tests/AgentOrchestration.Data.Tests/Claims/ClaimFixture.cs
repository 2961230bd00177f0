using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Claims;

/// <summary>A migrated database with a project and one capable agent, the library on a fake clock, and a way to add ready work.</summary>
public abstract class ClaimFixture(DatabaseProvider provider, int agentLimit) : OrchestrationFixture(provider)
{
    protected Project Project { get; private set; } = null!;

    protected AgentProfile Agent { get; private set; } = null!;

    [SetUp]
    public async Task SeedAsync()
    {
        Project = await CreateProjectAsync();
        Agent = await RegisterAgentAsync(agentLimit);
        await MarkSeededAsync();
    }

    protected override ServiceProvider BuildServices() => OrchestrationServices.Create(Database, Clock, configure: OrchestrationServices.WithoutQaGate);

    /// <summary>Adds a ready item of the project, one fake millisecond after the previous one.</summary>
    protected async Task<WorkItem> AddItemAsync(int priority, List<string>? capabilities = null, WorkItemType type = WorkItemType.Task)
    {
        var item = await CreateWorkAsync(Project, type, w =>
        {
            w.Priority = priority;
            w.RequiredCapabilities = capabilities ?? [Capability];
        });
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        return item;
    }
}
