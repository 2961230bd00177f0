using AgentOrchestration.Data;
using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Migrations;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

// A first taste (issue 6 grows this into the full scenario): turnkey SQLite, three agents claiming work in parallel.
var databasePath = args.Length > 1 && args[0] == "--db" ? args[1] : Path.Combine(Environment.CurrentDirectory, "agent-orchestration-sample.db");

await using var services = new ServiceCollection()
    .AddAgentOrchestration(o => o.UseSqlite($"Data Source={databasePath}"))
    .BuildServiceProvider();

await using (var scope = services.CreateAsyncScope())
{
    await scope.ServiceProvider.GetRequiredService<IAgentOrchestrationMigrator>().MigrateAsync();
}

var run = DateTimeOffset.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
Project project;
List<AgentProfile> agents = [];
await using (var scope = services.CreateAsyncScope())
{
    var work = scope.ServiceProvider.GetRequiredService<IWorkItemService>();
    var registry = scope.ServiceProvider.GetRequiredService<IAgentRegistry>();
    project = await work.CreateProjectAsync($"demo-{run}", "Demo project");
    for (var i = 1; i <= 3; i++)
    {
        agents.Add(await registry.RegisterAsync(new AgentRegistration
        {
            Name = $"Backend engineer {i}",
            Slug = $"backend-{i}-{run}",
            Type = "backend-engineer",
            Mode = "implementation",
            Capabilities = [new CapabilityEntry { Name = "csharp", Proficiency = 4 }],
        }));
    }

    var story = await work.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Story, Title = "Claim work atomically" });
    for (var i = 1; i <= 12; i++)
    {
        await work.CreateWorkItemAsync(new NewWorkItem
        {
            ProjectId = project.Id, Type = WorkItemType.Task, Title = $"Task {i}", ParentId = story.Id, Priority = (i % 5) + 1, RequiredCapabilities = ["csharp"],
        });
    }
}

// Each agent claims and completes until nothing is ready: never two winners for one task.
var done = await Task.WhenAll(agents.Select(agent => Task.Run(async () =>
{
    await using var scope = services.CreateAsyncScope();
    var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
    var completed = 0;
    while (await claimer.ClaimNextAsync(agent.Id, project.Id) is { } claimed)
    {
        await claimer.CompleteAsync(claimed.Lease);
        completed++;
    }

    return (agent.Slug, completed);
})));

await using (var scope = services.CreateAsyncScope())
{
    var db = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
    var byStatus = await db.WorkItems.AsNoTracking().Where(w => w.ProjectId == project.Id)
        .GroupBy(w => w.Status).Select(g => new { Status = g.Key, Count = g.Count() }).ToListAsync();
    Console.WriteLine($"Database: {databasePath}");
    foreach (var (slug, completed) in done)
    {
        Console.WriteLine($"{slug}: completed {completed} tasks");
    }

    foreach (var row in byStatus.OrderBy(r => r.Status))
    {
        Console.WriteLine($"Work items {row.Status}: {row.Count}");
    }

    Console.WriteLine($"Events logged: {await db.Events.CountAsync(e => e.ProjectId == project.Id)}");
    return done.Sum(d => d.completed) == 12 ? 0 : 1;
}
