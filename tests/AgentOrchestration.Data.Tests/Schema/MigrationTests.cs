using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Migrations;
using AgentOrchestration.Data.Tests.Infrastructure;
using Bogus;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Schema;

/// <summary>The shipped migrations, step by step, up and down, with data, on each provider.</summary>
public sealed class MigrationTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private static readonly string[] SharedSteps =
    [
        "Baseline", "AgentProfiles", "WorkItemOrchestrationFields", "TaskAssignmentsAndCapabilities", "KeyIndexes",
        "BacklogSessionsQaResultsAndFileLocks", "TaskAndStoryColumns", "LibraryAdditions", "ClaimIdempotency", "UniqueFencingTokens",
        "EventFeedAndSprintRules", "ClaimIdempotencyRequest",
    ];

    // PostgreSQL-only steps: the live feed's parts that SQLite, with one writer at a time, does not need.
    private static readonly string[] PostgreSqlSteps = ["EventFeedWriterHorizon"];

    // Shared steps added after the PostgreSQL-only ones.
    private static readonly string[] LaterSharedSteps = ["ActiveLeaseIndex", "PartialForeignKeyIndexes", QaResultProjectStep];

    // The step that adds qa_results.project_id (backfilled from each result's work item) and the covering
    // work_items_project_status.
    private const string QaResultProjectStep = "QaResultProjectAndCoveringIndex";

    // PostgreSQL-only steps after those: the enum CHECKs in PostgreSQL's cheaper form (SQLite keeps the IN lists).
    private static readonly string[] LaterPostgreSqlSteps = ["EnumChecksAsArrays"];

    private string[] Steps => Provider == DatabaseProvider.PostgreSql
        ? [.. SharedSteps, .. PostgreSqlSteps, .. LaterSharedSteps, .. LaterPostgreSqlSteps]
        : [.. SharedSteps, .. LaterSharedSteps];

    private static readonly string[] LibraryTables =
    [
        "agent_capabilities", "agent_profiles", "agent_sessions", "backlog", "file_locks", "orchestration_events", "projects",
        "qa_results", "sprints", "task_assignments", "work_item_dependencies", "work_items",
    ];

    [Test]
    public void Migrations_are_staged_as_the_seeds_tell_them()
    {
        using var context = CreateContext();
        var names = context.Database.GetMigrations().Select(m => m[(m.IndexOf('_', StringComparison.Ordinal) + 1)..]).ToList();
        Assert.That(names, Is.EqualTo(Steps));
    }

    [Test]
    public void The_model_has_no_changes_missing_from_the_migrations()
    {
        using var context = CreateContext();
        Assert.That(context.Database.HasPendingModelChanges(), Is.False);
    }

    [Test]
    public async Task Up_to_latest_down_to_zero_and_up_again()
    {
        await using var context = CreateContext();
        var migrator = context.GetService<IMigrator>();

        await migrator.MigrateAsync();
        Assert.That(await RawSql.TablesAsync(context), Is.SupersetOf(LibraryTables));
        Assert.That(await context.Database.GetPendingMigrationsAsync(), Is.Empty);

        await migrator.MigrateAsync(Migration.InitialDatabase);
        Assert.That(LibraryTablesIn(await RawSql.TablesAsync(context)), Is.Empty, "down to zero leaves only bookkeeping tables");
        Assert.That(await RawSql.TablesAsync(context), Does.Contain(AgentOrchestrationDbContext.MigrationsHistoryTable));
        Assert.That(await context.Database.GetAppliedMigrationsAsync(), Is.Empty);

        await migrator.MigrateAsync();
        Assert.That(await RawSql.TablesAsync(context), Is.SupersetOf(LibraryTables));
    }

    [Test]
    public async Task Rows_from_the_baseline_survive_every_step_up_and_down()
    {
        await using var context = CreateContext();
        var migrator = context.GetService<IMigrator>();
        await migrator.MigrateAsync(Full("Baseline", context));

        var faker = new Faker();
        var now = DateTimeOffset.UtcNow;
        var projectId = Guid.CreateVersion7();
        var sprintId = Guid.CreateVersion7();
        var storyId = Guid.CreateVersion7();
        var taskId = Guid.CreateVersion7();
        var storyTitle = faker.Lorem.Sentence();
        var taskTitle = faker.Hacker.Phrase();
        await RawSql.InsertAsync(context, "projects", new Dictionary<string, object?>
        {
            ["id"] = projectId, ["key"] = "legacy", ["name"] = faker.Company.CompanyName(), ["created_at"] = now, ["updated_at"] = now,
        });
        await RawSql.InsertAsync(context, "sprints", new Dictionary<string, object?>
        {
            ["id"] = sprintId, ["project_id"] = projectId, ["name"] = "Sprint 1", ["status"] = "active", ["created_at"] = now, ["updated_at"] = now,
        });
        await RawSql.InsertAsync(context, "work_items", new Dictionary<string, object?>
        {
            ["id"] = storyId, ["project_id"] = projectId, ["sprint_id"] = sprintId, ["type"] = "story", ["title"] = storyTitle,
            ["status"] = "in_progress", ["priority"] = 2, ["assignee_type"] = "user", ["assignee_id"] = Guid.NewGuid(),
            ["created_at"] = now, ["updated_at"] = now,
        });
        await RawSql.InsertAsync(context, "work_items", new Dictionary<string, object?>
        {
            ["id"] = taskId, ["project_id"] = projectId, ["sprint_id"] = sprintId, ["parent_id"] = storyId, ["type"] = "task",
            ["title"] = taskTitle, ["status"] = "todo", ["priority"] = 4, ["created_at"] = now, ["updated_at"] = now,
        });

        foreach (var step in Steps.Skip(1))
        {
            await migrator.MigrateAsync(Full(step, context));
            Assert.That(await RawSql.CountAsync(context, "work_items"), Is.EqualTo(2), $"after {step}");
        }

        // The columns' defaults reach the rows that existed before the columns did.
        context.ChangeTracker.Clear();
        var task = await context.WorkItems.AsNoTracking().SingleAsync(w => w.Id == taskId);
        var story = await context.WorkItems.AsNoTracking().SingleAsync(w => w.Id == storyId);
        Assert.Multiple(() =>
        {
            Assert.That(task.Title, Is.EqualTo(taskTitle));
            Assert.That(task.ParentId, Is.EqualTo(storyId));
            Assert.That(task.Priority, Is.EqualTo(4));
            Assert.That(task.DelegationStatus, Is.EqualTo(DelegationStatus.Unassigned));
            Assert.That(task.QaStatus, Is.EqualTo(QaStatus.NotStarted));
            Assert.That(task.SuccessCriteriaMet, Is.False);
            Assert.That(task.RequiredCapabilities, Is.Null.Or.Empty);
            Assert.That(story.PrimeApproved, Is.False);
            Assert.That(story.Status, Is.EqualTo(WorkItemStatus.InProgress));
            Assert.That(story.AssigneeType, Is.EqualTo(AssigneeType.User));
            Assert.That(task.CreatedAt, Is.EqualTo(now).Within(TimeSpan.FromMilliseconds(1)));
        });

        // Data in every later table, then all the way back down: the baseline rows are what the baseline keeps.
        await SeedLatestAsync(context, projectId, taskId, storyId);
        foreach (var step in Steps.Reverse().Skip(1))
        {
            await migrator.MigrateAsync(Full(step, context));
            Assert.That(await RawSql.CountAsync(context, "work_items"), Is.EqualTo(2), $"down to {step}");
            Assert.That(await RawSql.CountAsync(context, "projects"), Is.EqualTo(1), $"down to {step}");
        }

        Assert.That(await RawSql.TablesAsync(context), Is.SupersetOf(new[] { "projects", "sprints", "work_items" }));
        Assert.That(LibraryTablesIn(await RawSql.TablesAsync(context)), Is.EquivalentTo(new[] { "projects", "sprints", "work_items" }));
        Assert.That(await RawSql.ScalarAsync(context, $"SELECT title FROM work_items WHERE id = {RawSql.Literal(context, taskId)}"), Is.EqualTo(taskTitle));

        await migrator.MigrateAsync(Migration.InitialDatabase);
        Assert.That(LibraryTablesIn(await RawSql.TablesAsync(context)), Is.Empty);
    }

    [Test]
    public async Task Qa_results_recorded_before_their_project_column_take_their_tasks_project()
    {
        await using var context = CreateContext();
        var migrator = context.GetService<IMigrator>();
        var before = Steps[Array.IndexOf(Steps, QaResultProjectStep) - 1];
        await migrator.MigrateAsync(Full(before, context));

        // Two projects, each with a task reviewed twice: every result must end up in its own task's project.
        var now = DateTimeOffset.UtcNow;
        var results = new List<(Guid Id, Guid Project)>();
        for (var n = 0; n < 2; n++)
        {
            var projectId = Guid.CreateVersion7();
            var taskId = Guid.CreateVersion7();
            await RawSql.InsertAsync(context, "projects", new Dictionary<string, object?>
            {
                ["id"] = projectId, ["key"] = $"legacy-{n}", ["name"] = $"Legacy {n}", ["created_at"] = now, ["updated_at"] = now,
            });
            await RawSql.InsertAsync(context, "work_items", new Dictionary<string, object?>
            {
                ["id"] = taskId, ["project_id"] = projectId, ["type"] = "task", ["title"] = $"Task {n}", ["status"] = "in_review",
                ["priority"] = 3, ["created_at"] = now, ["updated_at"] = now,
            });
            await RawSql.InsertAsync(context, "agent_sessions", new Dictionary<string, object?>
            {
                ["id"] = Guid.CreateVersion7(), ["session_id"] = $"qa-{n}", ["project_id"] = projectId, ["agent_type"] = "qa", ["start_time"] = now,
            });
            foreach (var (type, status) in new[] { ("code_review", "pass"), ("functional_test", "fail") })
            {
                var id = Guid.CreateVersion7();
                await RawSql.InsertAsync(context, "qa_results", new Dictionary<string, object?>
                {
                    ["id"] = id, ["task_id"] = taskId, ["agent_session_id"] = $"qa-{n}", ["qa_type"] = type, ["status"] = status,
                    ["success_criteria_met"] = false, ["timestamp"] = now,
                });
                results.Add((id, projectId));
            }
        }

        await migrator.MigrateAsync(Full(QaResultProjectStep, context));

        context.ChangeTracker.Clear();
        var stored = await context.Set<QaResult>().AsNoTracking().Select(r => new { r.Id, r.ProjectId }).ToListAsync();
        Assert.That(stored.Select(r => (r.Id, r.ProjectId)), Is.EquivalentTo(results));
        foreach (var project in results.Select(r => r.Project).Distinct())
        {
            Assert.That(await RawSql.CountAsync(context, "qa_results", $"project_id = {RawSql.Literal(context, project)}"), Is.EqualTo(2));
        }

        // Down again: the column goes, the results stay.
        await migrator.MigrateAsync(Full(before, context));
        Assert.That(await RawSql.CountAsync(context, "qa_results"), Is.EqualTo(4));
        Assert.CatchAsync(() => RawSql.ScalarAsync(context, "SELECT project_id FROM qa_results"));
    }

    [Test]
    public async Task The_migrator_service_migrates_to_a_named_step_and_refuses_unknown_ones()
    {
        var services = new ServiceCollection()
            .AddAgentOrchestration(o =>
            {
                if (Provider == DatabaseProvider.Sqlite)
                {
                    o.UseSqlite(Database.ConnectionString);
                }
                else
                {
                    o.UsePostgreSql(Database.ConnectionString);
                }
            })
            .BuildServiceProvider();
        await using var scope = services.CreateAsyncScope();
        var migrator = scope.ServiceProvider.GetRequiredService<IAgentOrchestrationMigrator>();

        Assert.That(migrator.GetMigrations(), Has.Count.EqualTo(Steps.Length));
        await migrator.MigrateToAsync("KeyIndexes");
        Assert.That((await migrator.GetAppliedMigrationsAsync()).Select(m => m[(m.IndexOf('_', StringComparison.Ordinal) + 1)..]), Is.EqualTo(Steps.Take(5)));
        Assert.That(await migrator.GetPendingMigrationsAsync(), Has.Count.EqualTo(Steps.Length - 5));

        var error = Assert.ThrowsAsync<ArgumentException>(() => migrator.MigrateToAsync("NoSuchStep"));
        Assert.That(error!.Message, Does.Contain("NoSuchStep").And.Contain("Baseline"));
        Assert.That(await migrator.GetAppliedMigrationsAsync(), Has.Count.EqualTo(5), "a refused target changes nothing");

        await migrator.MigrateAsync();
        Assert.That(await migrator.GetPendingMigrationsAsync(), Is.Empty);
        await migrator.RollbackAllAsync();
        Assert.That(await migrator.GetAppliedMigrationsAsync(), Is.Empty);
    }

    private static List<string> LibraryTablesIn(IEnumerable<string> tables) => tables.Intersect(LibraryTables).ToList();

    private static string Full(string step, DbContext context) =>
        context.Database.GetMigrations().Single(m => m.EndsWith("_" + step, StringComparison.Ordinal));

    private static async Task SeedLatestAsync(AgentOrchestrationDbContext context, Guid projectId, Guid taskId, Guid storyId)
    {
        var now = DateTimeOffset.UtcNow;
        var agent = new AgentProfile { Name = "Coder", Slug = "coder", Type = "backend-engineer", Mode = "implementation", CreatedAt = now, UpdatedAt = now };
        agent.CapabilityRecords.Add(new AgentCapability { Capability = "csharp", CreatedAt = now });
        context.Add(agent);
        context.Add(new TaskAssignment { WorkItemId = taskId, Agent = agent, AssignedAt = now, Status = AssignmentStatus.Started, CreatedAt = now, UpdatedAt = now });
        var backlog = new BacklogItem { ProjectId = projectId, Title = "Idea", Description = "Why", SuccessCriteria = "It works" };
        context.Add(backlog);
        var session = new AgentSession { SessionId = "s-1", ProjectId = projectId, ParentStoryId = storyId, TaskId = taskId, Backlog = backlog, AgentType = SessionAgentType.Implementation };
        context.Add(session);
        context.Add(new QaResult { TaskId = taskId, ProjectId = projectId, Session = session, QaType = QaType.CodeReview, Status = QaResultStatus.Pass });
        context.Add(new FileLock { ProjectId = projectId, FilePath = "src/app.cs", Session = session });
        context.Add(new OrchestrationEvent { OccurredAt = now, Type = "test.seeded", EntityType = "project", EntityId = projectId });
        await context.SaveChangesAsync();
        context.ChangeTracker.Clear();
    }
}
