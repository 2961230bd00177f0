using System.Globalization;
using System.Text;
using AgentOrchestration.Data.Backlog;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Backlog;

/// <summary>A migrated database with one project, the library on a fake clock, and helpers to drive backlog items through their states.</summary>
public abstract class BacklogFixture(DatabaseProvider provider) : OrchestrationFixture(provider)
{
    protected Project Project { get; private set; } = null!;

    [SetUp]
    public async Task SeedAsync()
    {
        Project = await CreateProjectAsync();
        await MarkSeededAsync();
    }

    /// <summary>The library as a host registers it, with extra registrations before <c>AddAgentOrchestration</c>.</summary>
    protected ServiceProvider BuildServices(Action<IServiceCollection>? before) => OrchestrationServices.Create(Database, Clock, before: before);

    protected async Task<T> BacklogAsync<T>(Func<IBacklogService, Task<T>> action, ServiceProvider? services = null)
    {
        await using var scope = (services ?? Services).CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<IBacklogService>());
    }

    protected Task<BacklogItem> SubmitAsync(Complexity complexity = Complexity.Moderate, int priority = 3, int businessValue = 5, Project? project = null) =>
        BacklogAsync(b => b.SubmitAsync(Faker.BacklogSubmission((project ?? Project).Id) with
        {
            Complexity = complexity,
            Priority = priority,
            BusinessValue = businessValue,
            CreatedBy = "product-owner",
        }));

    /// <summary>Submits an item and takes it to <paramref name="status"/> through the service, analysed by <c>analyst-1</c>.</summary>
    protected async Task<BacklogItem> ItemInAsync(BacklogStatus status)
    {
        var item = await SubmitAsync();
        if (status == BacklogStatus.Backlog)
        {
            return item;
        }

        item = await BacklogAsync(b => b.StartAnalysisAsync(item.Id, "analyst-1"));
        return status switch
        {
            BacklogStatus.Analyzing => item,
            BacklogStatus.Ready => await BacklogAsync(b => b.MarkReadyAsync(item.Id, "analyst-1")),
            BacklogStatus.Blocked => await BacklogAsync(b => b.BlockAsync(item.Id, "analyst-1", "waiting for the data team")),
            _ => throw new ArgumentOutOfRangeException(nameof(status)),
        };
    }

    protected async Task<List<string>> EventTypesAsync(Guid? entityId = null)
    {
        await using var db = CreateContext();
        return await TestEvents(db).Where(e => entityId == null || e.EntityId == entityId).OrderBy(e => e.Sequence).Select(e => e.Type).ToListAsync();
    }

    /// <summary>Every backlog, work item and sprint row and the event count, as text, to show a refusal changed nothing.</summary>
    protected async Task<string> SnapshotAsync()
    {
        await using var db = CreateContext();
        var text = new StringBuilder();
        foreach (var b in await db.Backlog.AsNoTracking().OrderBy(b => b.Id).ToListAsync())
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{b.Id}|{b.Status}|{b.AssignedToAgent}|{b.RiskScore}|{b.EstimatedComplexity}|{b.PrimeNotes}|{b.LastAnalyzed:O}|{b.Priority}|{b.BusinessValue}|{b.Title}");
        }

        foreach (var w in await db.WorkItems.AsNoTracking().OrderBy(w => w.Id).ToListAsync())
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{w.Id}|{w.Type}|{w.Status}|{w.SprintId}|{w.ParentId}|{w.CreatedFromBacklogId}|{w.PrimeApproved}|{w.UpdatedAt:O}");
        }

        foreach (var s in await db.Sprints.AsNoTracking().OrderBy(s => s.Id).ToListAsync())
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{s.Id}|{s.Status}|{s.StartsAt:O}|{s.EndsAt:O}|{s.UpdatedAt:O}");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"events: {await db.Events.CountAsync()}");
        return text.ToString();
    }
}
