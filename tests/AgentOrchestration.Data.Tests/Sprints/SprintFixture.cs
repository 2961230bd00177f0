using System.Globalization;
using System.Text;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Sprints;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Tests.Sprints;

/// <summary>A migrated database with one project, the library on a fake clock, and helpers for sprints and their work.</summary>
public abstract class SprintFixture(DatabaseProvider provider) : OrchestrationFixture(provider)
{
    protected Project Project { get; private set; } = null!;

    [SetUp]
    public async Task SeedAsync()
    {
        Project = await CreateProjectAsync();
        await MarkSeededAsync();
    }

    protected Task<T> SprintsAsync<T>(Func<ISprintService, Task<T>> action) => UseAsync(action);

    protected Task<Sprint> PlanAsync(string name = "Sprint 1", Project? project = null) =>
        SprintsAsync(s => s.PlanAsync(new SprintPlan((project ?? Project).Id, name) { Goal = "ship it", Actor = "lead" }));

    protected Task<Project> OtherProjectAsync() => CreateProjectAsync();

    /// <summary>
    /// Adds a work item through the service, in <paramref name="sprintId"/> with the <paramref name="estimated"/> hours, then
    /// sets the <paramref name="status"/>, <paramref name="actual"/> hours and <paramref name="agent"/> directly: sprint
    /// bookkeeping is tested on items in any state, which no single service call creates.
    /// </summary>
    protected async Task<WorkItem> AddItemAsync(
        WorkItemStatus status = WorkItemStatus.Todo, Guid? sprintId = null, decimal? estimated = null, decimal? actual = null, AgentProfile? agent = null, Project? project = null)
    {
        var item = await CreateWorkAsync(project ?? Project, configure: w =>
        {
            w.SprintId = sprintId;
            w.EstimatedHours = estimated;
        });
        if (status == WorkItemStatus.Todo && actual is null && agent is null)
        {
            return item;
        }

        await using var db = CreateContext();
        var stored = await db.WorkItems.SingleAsync(w => w.Id == item.Id);
        stored.Status = status;
        stored.ActualHours = actual;
        if (agent is not null)
        {
            stored.AssignedAgentId = agent.Id;
            stored.AssigneeType = AssigneeType.Agent;
            stored.AssigneeId = agent.Id;
            stored.DelegationStatus = DelegationStatus.Assigned;
        }

        await db.SaveChangesAsync();
        return stored;
    }

    protected Task<AgentProfile> AddAgentAsync(string slug) => RegisterAgentAsync(configure: a => a.Slug = slug);

    protected async Task<List<string>> EventTypesAsync()
    {
        await using var db = CreateContext();
        return await TestEvents(db).OrderBy(e => e.Sequence).Select(e => e.Type).ToListAsync();
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
