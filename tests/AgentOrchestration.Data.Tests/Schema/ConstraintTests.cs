using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace AgentOrchestration.Data.Tests.Schema;

/// <summary>The database itself refuses rows that break a foreign key, a unique constraint or a check, and writes nothing.</summary>
public sealed class ConstraintTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private AgentOrchestrationDbContext context = null!;
    private Project project = null!;

    protected override bool StartsMigrated => true;

    [SetUp]
    public async Task SeedAsync()
    {
        context = await MigratedContextAsync();
        project = Fakes.Project();
        context.Add(project);
        await context.SaveChangesAsync();
    }

    [TearDown]
    public async Task DisposeContextAsync() => await context.DisposeAsync();

    [TestCase("work_items", "priority", 6)]
    [TestCase("work_items", "priority", 0)]
    [TestCase("backlog", "priority", 9)]
    [TestCase("backlog", "business_value", 11)]
    [TestCase("backlog", "business_value", 0)]
    [TestCase("backlog", "risk_score", 101)]
    public async Task Out_of_range_values_are_refused(string table, string column, int value)
    {
        var item = table == "work_items" ? (object)Fakes.WorkItem(project) : Fakes.Backlog(project);
        context.Add(item);
        context.Entry(item).Property(context.Model.FindEntityType(item.GetType())!.GetProperties()
            .Single(p => p.GetColumnName() == column).Name).CurrentValue = value;

        await AssertRefusedAsync(table);
    }

    [TestCase("work_items", "status")]
    [TestCase("work_items", "type")]
    [TestCase("work_items", "assignee_type")]
    [TestCase("work_items", "delegation_status")]
    [TestCase("work_items", "qa_status")]
    [TestCase("agent_sessions", "oversight_level")]
    [TestCase("file_locks", "lock_type")]
    public async Task Values_outside_the_seed_vocabulary_are_refused(string table, string column)
    {
        var story = Fakes.WorkItem(project, WorkItemType.Story);
        var session = Fakes.Session(project, story);
        var fileLock = new FileLock { Project = project, FilePath = "a.cs", Session = session, AcquiredAt = Fakes.Now };
        context.AddRange(story, session, fileLock);
        await context.SaveChangesAsync();
        var id = table switch
        {
            "work_items" => story.Id,
            "agent_sessions" => session.Id,
            _ => fileLock.Id,
        };

        // Written past EF Core, as another tool might: the CHECK constraint is the last line of defence.
        Assert.That(
            async () => await context.Database.ExecuteSqlRawAsync($"UPDATE \"{table}\" SET \"{column}\" = 'bogus' WHERE id = {RawSql.Literal(context, id)}"),
            Throws.InstanceOf<Exception>());
        Assert.That(await RawSql.CountAsync(context, table, $"\"{column}\" = 'bogus'"), Is.Zero);
    }

    [Test]
    public async Task Every_enum_check_in_the_database_accepts_exactly_its_enums_stored_values()
    {
        var checks = context.Model.GetEntityTypes()
            .SelectMany(e => e.GetDeclaredProperties().Select(p => (Entity: e, Property: p)))
            .Where(x => (Nullable.GetUnderlyingType(x.Property.ClrType) ?? x.Property.ClrType).IsEnum)
            .Select(x => (Table: x.Entity.GetTableName()!, Column: x.Property.GetColumnName(),
                Values: Data.Modeling.StoredEnum.Values(Nullable.GetUnderlyingType(x.Property.ClrType) ?? x.Property.ClrType).ToList()))
            .ToList();
        Assert.That(checks, Has.Count.EqualTo(16), "the library's enum columns");

        foreach (var (table, column, values) in checks)
        {
            var name = $"ck_{table}_{column}";
            var expression = await CheckExpressionAsync(table, name);
            if (Provider == DatabaseProvider.PostgreSql)
            {
                // The migrated database holds the one-constant-array form (EnumChecksAsArrays), not the IN list.
                Assert.That(expression, Does.Contain("= ANY ('{").And.Not.Contain("ARRAY["), name);
            }

            foreach (var value in values)
            {
                Assert.That(await EvaluateAsync(expression, column, value), Is.True, $"{name} accepts '{value}'");
            }

            foreach (var value in new[] { "bogus", values[0].ToUpperInvariant(), string.Empty, "null", "NULL", values[0] + " ", $"{values[0]},{values[1]}", "{" + values[0] + "}" })
            {
                Assert.That(await EvaluateAsync(expression, column, value), Is.False, $"{name} refuses '{value}'");
            }

            // NULL passes every CHECK; whether the column takes it is its NOT NULL's to say.
            Assert.That(await EvaluateAsync(expression, column, null), Is.Null, $"{name} on NULL");
        }
    }

    /// <summary>The constraint's expression as the database holds it (PostgreSQL's catalogue; SQLite keeps the DDL text the model wrote).</summary>
    private async Task<string> CheckExpressionAsync(string table, string name)
    {
        if (Provider == DatabaseProvider.PostgreSql)
        {
            var definition = (string?)await RawSql.ScalarAsync(context, $"SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = '{name}' AND conrelid = '\"{table}\"'::regclass");
            Assert.That(definition, Does.StartWith("CHECK ("), name);
            return definition!["CHECK ".Length..];
        }

        var model = context.GetService<Microsoft.EntityFrameworkCore.Metadata.IDesignTimeModel>().Model;
        var sql = model.GetEntityTypes().Single(e => e.GetTableName() == table).GetCheckConstraints().Single(c => c.Name == name).Sql;
        var ddl = (string?)await RawSql.ScalarAsync(context, $"SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{table}'");
        Assert.That(ddl, Does.Contain($"CONSTRAINT \"{name}\" CHECK ({sql})"), name);
        return $"({sql})";
    }

    /// <summary>The expression for a row whose <paramref name="column"/> holds <paramref name="value"/>: true, false, or null (unknown).</summary>
    private async Task<bool?> EvaluateAsync(string expression, string column, string? value)
    {
        var literal = value is null ? "NULL" : $"'{value.Replace("'", "''", StringComparison.Ordinal)}'";
        var result = await RawSql.ScalarAsync(context, $"SELECT CASE WHEN {expression} THEN 1 WHEN NOT {expression} THEN 0 END FROM (SELECT CAST({literal} AS varchar(32)) AS \"{column}\") v");
        return result is null ? null : Convert.ToInt32(result, System.Globalization.CultureInfo.InvariantCulture) == 1;
    }

    [Test]
    public async Task A_duplicate_agent_slug_is_refused()
    {
        var first = Fakes.Agent();
        context.Add(first);
        await context.SaveChangesAsync();

        var second = Fakes.Agent();
        second.Slug = first.Slug;
        context.Add(second);
        await AssertRefusedAsync("agent_profiles", expected: 1);
    }

    [Test]
    public async Task A_duplicate_capability_of_one_agent_is_refused()
    {
        var agent = Fakes.Agent();
        agent.CapabilityRecords.Add(new AgentCapability { Capability = "csharp", CreatedAt = Fakes.Now });
        context.Add(agent);
        await context.SaveChangesAsync();

        context.Add(new AgentCapability { AgentId = agent.Id, Capability = "csharp", CreatedAt = Fakes.Now });
        await AssertRefusedAsync("agent_capabilities", expected: 1);
    }

    [Test]
    public async Task A_duplicate_session_id_is_refused()
    {
        var first = Fakes.Session(project);
        context.Add(first);
        await context.SaveChangesAsync();

        context.ChangeTracker.Clear();
        var second = Fakes.Session(project);
        second.Project = null;
        second.ProjectId = project.Id;
        second.SessionId = first.SessionId;
        context.Add(second);
        await AssertRefusedAsync("agent_sessions", expected: 1);
    }

    [Test]
    public async Task A_work_item_in_a_missing_project_is_refused()
    {
        var item = Fakes.WorkItem(project);
        item.Project = null;
        item.ProjectId = Guid.NewGuid();
        context.Add(item);
        await AssertRefusedAsync("work_items");
    }

    [Test]
    public async Task A_qa_result_from_an_unknown_session_is_refused()
    {
        var task = Fakes.WorkItem(project);
        context.Add(task);
        await context.SaveChangesAsync();

        context.Add(new QaResult { TaskId = task.Id, ProjectId = task.ProjectId, AgentSessionId = "no-such-session", QaType = QaType.CodeReview, Status = QaResultStatus.Pass, RecordedAt = Fakes.Now });
        await AssertRefusedAsync("qa_results");
    }

    [Test]
    public async Task An_agent_with_assignments_cannot_be_deleted_only_archived()
    {
        var agent = Fakes.Agent();
        var task = Fakes.WorkItem(project);
        context.AddRange(agent, task, Fakes.Assignment(task, agent));
        await context.SaveChangesAsync();

        Assert.That(
            async () => await context.Database.ExecuteSqlRawAsync($"DELETE FROM agent_profiles WHERE id = {RawSql.Literal(context, agent.Id)}"),
            Throws.InstanceOf<Exception>());
        Assert.That(await RawSql.CountAsync(context, "agent_profiles"), Is.EqualTo(1));
        Assert.That(await RawSql.CountAsync(context, "task_assignments"), Is.EqualTo(1));
    }

    [Test]
    public async Task Deletes_cascade_and_set_null_as_the_seeds_say()
    {
        var agent = Fakes.Agent();
        var story = Fakes.WorkItem(project, WorkItemType.Story);
        var task = Fakes.WorkItem(project, WorkItemType.Task, story);
        var backlog = Fakes.Backlog(project);
        var session = Fakes.Session(project, story, task);
        session.Backlog = backlog;
        var qaSession = Fakes.Session(project);
        context.AddRange(agent, story, task, backlog, session, qaSession, Fakes.Assignment(task, agent));
        context.Add(new QaResult { Task = task, Project = project, Session = qaSession, QaType = QaType.FunctionalTest, Status = QaResultStatus.Fail, RecordedAt = Fakes.Now });
        context.Add(new FileLock { Project = project, FilePath = "src/a.cs", Session = session, AcquiredAt = Fakes.Now });
        await context.SaveChangesAsync();

        // Backlog deleted: the session stays, its backlog_id is cleared.
        await context.Database.ExecuteSqlRawAsync($"DELETE FROM backlog WHERE id = {RawSql.Literal(context, backlog.Id)}");
        Assert.That(await RawSql.CountAsync(context, "agent_sessions", $"backlog_id IS NULL AND id = {RawSql.Literal(context, session.Id)}"), Is.EqualTo(1));

        // Task deleted: its assignments and QA results go; the session stays with task_id cleared.
        await context.Database.ExecuteSqlRawAsync($"DELETE FROM work_items WHERE id = {RawSql.Literal(context, task.Id)}");
        Assert.That(await RawSql.CountAsync(context, "task_assignments"), Is.Zero);
        Assert.That(await RawSql.CountAsync(context, "qa_results"), Is.Zero);
        Assert.That(await RawSql.CountAsync(context, "agent_sessions", $"task_id IS NULL AND id = {RawSql.Literal(context, session.Id)}"), Is.EqualTo(1));

        // Parent story deleted: its sessions go, and with them their file locks.
        await context.Database.ExecuteSqlRawAsync($"DELETE FROM work_items WHERE id = {RawSql.Literal(context, story.Id)}");
        Assert.That(await RawSql.CountAsync(context, "agent_sessions"), Is.EqualTo(1));
        Assert.That(await RawSql.CountAsync(context, "file_locks"), Is.Zero);
    }

    private async Task AssertRefusedAsync(string table, long expected = 0)
    {
        Assert.That(async () => await context.SaveChangesAsync(), Throws.InstanceOf<DbUpdateException>());
        context.ChangeTracker.Clear();
        Assert.That(await RawSql.CountAsync(context, table), Is.EqualTo(expected), $"nothing written to {table}");
    }
}
