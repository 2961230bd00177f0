using AgentOrchestration.Data;
using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Migrations;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

// A first taste (issue 6 grows this into the full scenario): turnkey SQLite, three agents claiming work in parallel
// through their sessions, and a QA session that reviews every task before it may complete.
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

// One QA session reviews the work; QA results must come from a session other than the implementing one.
string reviewer;
await using (var scope = services.CreateAsyncScope())
{
    reviewer = (await scope.ServiceProvider.GetRequiredService<ISessionService>().StartAsync(new SessionStart(project.Id, SessionAgentType.Qa))).SessionId;
}

// Each agent claims through its own session until nothing is ready (never two winners for one task); QA reviews each
// task (the first review of every third task fails and sends it back), and only then does it complete.
var sentBack = 0;
var done = await Task.WhenAll(agents.Select(agent => Task.Run(async () =>
{
    await using var scope = services.CreateAsyncScope();
    var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
    var qa = scope.ServiceProvider.GetRequiredService<IQaService>();
    var session = await scope.ServiceProvider.GetRequiredService<ISessionService>()
        .StartAsync(new SessionStart(project.Id, SessionAgentType.Implementation) { AgentId = agent.Id });
    var completed = 0;
    while (await claimer.ClaimNextAsync(agent.Id, project.Id, new ClaimOptions { SessionId = session.SessionId }) is { } claimed)
    {
        var taskId = claimed.Lease.WorkItemId;
        try
        {
            await claimer.CompleteAsync(claimed.Lease);
        }
        catch (QaGateException)
        {
            // Expected: the standard oversight level requires a passing code review and success criteria check.
        }

        if (claimed.Title.EndsWith('3') || claimed.Title.EndsWith('6') || claimed.Title.EndsWith('9'))
        {
            await qa.RecordResultAsync(new NewQaResult(taskId, reviewer, QaType.CodeReview, QaResultStatus.Fail) { RemediationNeeded = "add the missing test" });
            Interlocked.Increment(ref sentBack);
        }

        await qa.RecordResultAsync(new NewQaResult(taskId, reviewer, QaType.CodeReview, QaResultStatus.Pass));
        await qa.RecordResultAsync(new NewQaResult(taskId, reviewer, QaType.SuccessCriteria, QaResultStatus.Pass));
        await claimer.CompleteAsync(claimed.Lease);
        completed++;
    }

    await scope.ServiceProvider.GetRequiredService<ISessionService>().EndAsync(session.SessionId, SessionStatus.Completed);
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

    var passed = await db.WorkItems.CountAsync(w => w.ProjectId == project.Id && w.QaStatus == QaStatus.QaPassed);
    Console.WriteLine($"QA: {passed} tasks passed, {sentBack} sent back once with remediation, {await db.QaResults.CountAsync(r => r.Task!.ProjectId == project.Id)} results");
    Console.WriteLine($"Events logged: {await db.Events.CountAsync(e => e.ProjectId == project.Id)}");
    return done.Sum(d => d.completed) == 12 && passed == 12 ? 0 : 1;
}
