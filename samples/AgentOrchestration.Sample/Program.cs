using AgentOrchestration.Data;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Migrations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

// Turnkey mode on SQLite: the library's own context and shipped migrations.
var databasePath = args.Length > 1 && args[0] == "--db" ? args[1] : Path.Combine(Environment.CurrentDirectory, "agent-orchestration-sample.db");

var services = new ServiceCollection()
    .AddAgentOrchestration(o => o.UseSqlite($"Data Source={databasePath}"))
    .BuildServiceProvider();

await using var scope = services.CreateAsyncScope();
await scope.ServiceProvider.GetRequiredService<IAgentOrchestrationMigrator>().MigrateAsync();

var db = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
var now = DateTimeOffset.UtcNow;
var project = new Project { Key = $"demo-{now:yyyyMMddHHmmss}", Name = "Demo project", CreatedAt = now, UpdatedAt = now };
var agent = new AgentProfile
{
    Name = "Backend Engineer",
    Slug = $"backend-{now:HHmmssfff}",
    Type = "backend-engineer",
    Mode = "implementation",
    Capabilities = [new CapabilityEntry { Name = "csharp", Proficiency = 4 }],
    CreatedAt = now,
    UpdatedAt = now,
};
db.AddRange(project, agent);
db.Add(new WorkItem { Project = project, Type = WorkItemType.Task, Title = "Write the claim query", RequiredCapabilities = ["csharp"], CreatedAt = now, UpdatedAt = now });
await db.SaveChangesAsync();

var counts = await db.WorkItems.AsNoTracking()
    .GroupBy(w => w.DelegationStatus)
    .Select(g => new { Status = g.Key, Count = g.Count() })
    .ToListAsync();
Console.WriteLine($"Database: {databasePath}");
Console.WriteLine($"Projects: {await db.Projects.CountAsync()}, agents: {await db.AgentProfiles.CountAsync()}");
foreach (var row in counts)
{
    Console.WriteLine($"Work items {row.Status}: {row.Count}");
}
