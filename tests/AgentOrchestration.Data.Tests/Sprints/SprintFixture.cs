using System.Globalization;
using System.Text;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Sprints;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AgentOrchestration.Data.Tests.Sprints;

/// <summary>A migrated database with one project, the library on a fake clock, and helpers for sprints and their work.</summary>
public abstract class SprintFixture(DatabaseProvider provider) : ProviderFixture(provider)
{
    protected FakeTimeProvider Clock { get; private set; } = null!;

    protected ServiceProvider Services { get; private set; } = null!;

    protected Project Project { get; private set; } = null!;

    [SetUp]
    public async Task SeedAsync()
    {
        Clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        await using (await MigratedContextAsync())
        {
        }

        Services = OrchestrationServices.Create(Database, Clock);
        Project = Fakes.Project();
        await using var db = CreateContext();
        db.Add(Project);
        await db.SaveChangesAsync();
    }

    [TearDown]
    public async Task DisposeServicesAsync()
    {
        if (Services is not null)
        {
            await Services.DisposeAsync();
        }
    }

    protected async Task<T> SprintsAsync<T>(Func<ISprintService, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<ISprintService>());
    }

    protected Task<Sprint> PlanAsync(string name = "Sprint 1", Project? project = null) =>
        SprintsAsync(s => s.PlanAsync(new SprintPlan((project ?? Project).Id, name) { Goal = "ship it", Actor = "lead" }));

    protected async Task<Project> OtherProjectAsync()
    {
        var other = Fakes.Project();
        await using var db = CreateContext();
        db.Add(other);
        await db.SaveChangesAsync();
        return other;
    }

    /// <summary>Adds a work item directly, with the given status, hours and agent.</summary>
    protected async Task<WorkItem> AddItemAsync(
        WorkItemStatus status = WorkItemStatus.Todo, Guid? sprintId = null, decimal? estimated = null, decimal? actual = null, AgentProfile? agent = null, Project? project = null)
    {
        await using var db = CreateContext();
        var item = Fakes.WorkItem(project ?? Project);
        item.Project = null;
        item.ProjectId = (project ?? Project).Id;
        item.Status = status;
        item.SprintId = sprintId;
        item.EstimatedHours = estimated;
        item.ActualHours = actual;
        if (agent is not null)
        {
            item.AssignedAgentId = agent.Id;
            item.AssigneeType = AssigneeType.Agent;
            item.AssigneeId = agent.Id;
            item.DelegationStatus = DelegationStatus.Assigned;
        }

        db.Add(item);
        await db.SaveChangesAsync();
        return item;
    }

    protected async Task<AgentProfile> AddAgentAsync(string slug)
    {
        await using var db = CreateContext();
        var agent = Fakes.Agent();
        agent.Slug = slug;
        db.Add(agent);
        await db.SaveChangesAsync();
        return agent;
    }

    protected async Task<List<string>> EventTypesAsync()
    {
        await using var db = CreateContext();
        return await db.Events.OrderBy(e => e.Sequence).Select(e => e.Type).ToListAsync();
    }

    /// <summary>Every sprint and work item row and the event count, as text, to show a refusal changed nothing.</summary>
    protected async Task<string> SnapshotAsync()
    {
        await using var db = CreateContext();
        var text = new StringBuilder();
        foreach (var s in await db.Sprints.AsNoTracking().OrderBy(s => s.Id).ToListAsync())
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{s.Id}|{s.Status}|{s.StartsAt:O}|{s.EndsAt:O}|{s.UpdatedAt:O}");
        }

        foreach (var w in await db.WorkItems.AsNoTracking().OrderBy(w => w.Id).ToListAsync())
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{w.Id}|{w.Status}|{w.SprintId}|{w.UpdatedAt:O}");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"events: {await db.Events.CountAsync()}");
        return text.ToString();
    }
}
