using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Tests.Schema;

/// <summary>JSON columns hold real JSON (jsonb on PostgreSQL), round-trip typed, and can be queried in LINQ on both providers.</summary>
public sealed class JsonColumnTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    protected override bool StartsMigrated => true;

    [Test]
    public async Task Json_columns_round_trip_and_are_queryable()
    {
        await using (var context = await MigratedContextAsync())
        {
            var project = Fakes.Project();
            var coder = Fakes.Agent();
            coder.Capabilities = [new CapabilityEntry { Name = "csharp", Proficiency = 5 }, new CapabilityEntry { Name = "sql", Proficiency = 3 }];
            var analyst = Fakes.Agent();
            analyst.Capabilities = [new CapabilityEntry { Name = "python", Proficiency = 4 }];
            var task = Fakes.WorkItem(project);
            task.RequiredCapabilities = ["csharp", "sql"];
            task.DelegationContext = new DelegationContext { Notes = "mind the migrations", Files = ["src/a.cs"] };
            task.DelegationHistory =
            [
                new DelegationHistoryEntry { At = Fakes.Now, Action = "assign", ToStatus = DelegationStatus.Assigned, AssigneeType = AssigneeType.Agent, AssigneeId = coder.Id },
                new DelegationHistoryEntry { At = Fakes.Now, Action = "start", FromStatus = DelegationStatus.Assigned, ToStatus = DelegationStatus.InProgress },
            ];
            var other = Fakes.WorkItem(project);
            other.RequiredCapabilities = ["python"];
            var session = Fakes.Session(project);
            context.AddRange(coder, analyst, task, other, session);
            context.Add(new QaResult
            {
                Task = task,
                Project = project,
                Session = session,
                QaType = QaType.MockDetection,
                Status = QaResultStatus.Fail,
                RecordedAt = Fakes.Now,
                Findings = [new QaFinding { Severity = "major", Message = "stubbed repository", File = "src/a.cs", Line = 12 }],
                MockViolations = [new MockViolation { Description = "returns a hard-coded list", File = "src/a.cs", Line = 14 }],
            });
            await context.SaveChangesAsync();
        }

        await using var read = CreateContext();
        var csharpAgents = await read.AgentProfiles.Where(a => a.Capabilities!.Any(c => c.Name == "csharp" && c.Proficiency >= 4)).CountAsync();
        var needsPython = await read.WorkItems.Where(w => w.RequiredCapabilities!.Contains("python")).CountAsync();
        var withNotes = await read.WorkItems.Where(w => w.DelegationContext!.Notes == "mind the migrations").SingleAsync();
        var majorFindings = await read.QaResults.Where(q => q.Findings!.Any(f => f.Severity == "major")).CountAsync();

        Assert.Multiple(() =>
        {
            Assert.That(csharpAgents, Is.EqualTo(1));
            Assert.That(needsPython, Is.EqualTo(1));
            Assert.That(majorFindings, Is.EqualTo(1));
            Assert.That(withNotes.DelegationContext!.Files, Is.EqualTo(new[] { "src/a.cs" }));
            Assert.That(withNotes.DelegationHistory!.Select(h => h.ToStatus), Is.EqualTo(new[] { DelegationStatus.Assigned, DelegationStatus.InProgress }));
            Assert.That(withNotes.RequiredCapabilities, Is.EqualTo(new[] { "csharp", "sql" }));
        });

        // Other tools read real JSON, with snake_case names and stored enum strings.
        var type = Provider == DatabaseProvider.PostgreSql
            ? await RawSql.ScalarAsync(read, "SELECT jsonb_typeof(delegation_history) FROM work_items WHERE delegation_history IS NOT NULL")
            : await RawSql.ScalarAsync(read, "SELECT json_type(delegation_history) FROM work_items WHERE delegation_history IS NOT NULL");
        Assert.That(type, Is.EqualTo("array"));
        var history = (string?)await RawSql.ScalarAsync(read, Provider == DatabaseProvider.PostgreSql
            ? "SELECT delegation_history::text FROM work_items WHERE delegation_history IS NOT NULL"
            : "SELECT delegation_history FROM work_items WHERE delegation_history IS NOT NULL");
        Assert.That(history, Does.Contain("\"to_status\"").And.Contain("in_progress").And.Contain("\"assignee_type\""));
    }

    [Test]
    public async Task Ids_are_time_ordered_uuid_v7()
    {
        await using var context = await MigratedContextAsync();
        var projects = Enumerable.Range(0, 5).Select(_ => Fakes.Project()).ToList();
        foreach (var project in projects)
        {
            context.Add(project);
            await context.SaveChangesAsync();
        }

        Assert.That(projects.Select(p => p.Id.Version), Is.All.EqualTo(7));
        var ordered = await context.Projects.OrderBy(p => p.Id).Select(p => p.Id).ToListAsync();
        Assert.That(ordered, Is.EqualTo(projects.Select(p => p.Id)), "the database orders them by creation");
    }
}
