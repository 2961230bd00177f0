using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Scaffolding.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace AgentOrchestration.Data.Tests.Schema;

/// <summary>The migrated schema, read back from the live database: columns, types, lengths, defaults, keys and indexes.</summary>
public sealed class SchemaTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    // table, column, nullable, PostgreSQL type (SQLite has only storage classes), default (see docs/schema.md).
    private static readonly (string Table, string Column, bool Nullable, string PgType, string? Default)[] Columns =
    [
        ("projects", "id", false, "uuid", null), ("projects", "key", false, "character varying(64)", null), ("projects", "name", false, "character varying(200)", null),
        ("sprints", "project_id", false, "uuid", null), ("sprints", "goal", true, "text", null), ("sprints", "status", false, "character varying(32)", "planned"),
        ("sprints", "starts_at", true, "timestamp with time zone", null), ("sprints", "ends_at", true, "timestamp with time zone", null),

        ("agent_profiles", "id", false, "uuid", null), ("agent_profiles", "name", false, "character varying(200)", null),
        ("agent_profiles", "slug", false, "character varying(100)", null), ("agent_profiles", "type", false, "character varying(100)", null),
        ("agent_profiles", "mode", false, "character varying(50)", null), ("agent_profiles", "description", true, "text", null),
        ("agent_profiles", "capabilities", true, "jsonb", null), ("agent_profiles", "constraints", true, "jsonb", null),
        ("agent_profiles", "tools", true, "jsonb", null), ("agent_profiles", "metadata", true, "jsonb", null),
        ("agent_profiles", "status", false, "character varying(32)", "active"), ("agent_profiles", "created_at", false, "timestamp with time zone", null),
        ("agent_profiles", "updated_at", false, "timestamp with time zone", null),

        ("work_items", "assignee_type", true, "character varying(32)", null), ("work_items", "assignee_id", true, "uuid", null),
        ("work_items", "delegation_status", false, "character varying(32)", "unassigned"), ("work_items", "delegation_context", true, "jsonb", null),
        ("work_items", "delegation_history", true, "jsonb", null), ("work_items", "estimated_hours", true, "numeric(8,2)", null),
        ("work_items", "actual_hours", true, "numeric(8,2)", null), ("work_items", "qa_status", false, "character varying(32)", "not_started"),
        ("work_items", "success_criteria_met", false, "boolean", null), ("work_items", "assigned_agent_session", true, "character varying(200)", null),
        ("work_items", "created_from_backlog_id", true, "uuid", null), ("work_items", "prime_approved", false, "boolean", null),
        ("work_items", "type", false, "character varying(32)", null), ("work_items", "priority", false, "integer", "3"),

        ("task_assignments", "id", false, "uuid", null), ("task_assignments", "work_item_id", false, "uuid", null),
        ("task_assignments", "agent_id", false, "uuid", null), ("task_assignments", "assigned_by", true, "uuid", null),
        ("task_assignments", "assigned_at", false, "timestamp with time zone", null), ("task_assignments", "started_at", true, "timestamp with time zone", null),
        ("task_assignments", "completed_at", true, "timestamp with time zone", null), ("task_assignments", "status", false, "character varying(32)", null),
        ("task_assignments", "notes", true, "text", null), ("task_assignments", "context", true, "jsonb", null),
        ("task_assignments", "lease_expires_at", true, "timestamp with time zone", null), ("task_assignments", "fencing_token", false, "bigint", "0"),
        ("task_assignments", "idempotency_key", true, "character varying(200)", null),

        ("agent_capabilities", "agent_id", false, "uuid", null), ("agent_capabilities", "capability", false, "character varying(100)", null),
        ("agent_capabilities", "proficiency", false, "integer", "3"),

        ("backlog", "title", false, "character varying(500)", null), ("backlog", "description", false, "text", null),
        ("backlog", "success_criteria", false, "text", null), ("backlog", "priority", false, "integer", "3"),
        ("backlog", "estimated_complexity", false, "character varying(32)", "moderate"), ("backlog", "business_value", false, "integer", "5"),
        ("backlog", "risk_score", false, "integer", "0"), ("backlog", "created_by", false, "character varying(200)", "user"),
        ("backlog", "assigned_to_agent", true, "character varying(200)", null), ("backlog", "status", false, "character varying(32)", "backlog"),
        ("backlog", "timestamp", false, "timestamp with time zone", "CURRENT_TIMESTAMP"), ("backlog", "last_analyzed", true, "timestamp with time zone", null),
        ("backlog", "prime_notes", true, "text", null), ("backlog", "project_id", false, "uuid", null),

        ("agent_sessions", "session_id", false, "character varying(200)", null), ("agent_sessions", "parent_story_id", true, "uuid", null),
        ("agent_sessions", "backlog_id", true, "uuid", null), ("agent_sessions", "task_id", true, "uuid", null),
        ("agent_sessions", "agent_type", false, "character varying(32)", null), ("agent_sessions", "status", false, "character varying(32)", "active"),
        ("agent_sessions", "current_action", true, "text", null), ("agent_sessions", "file_locks", true, "jsonb", null),
        ("agent_sessions", "start_time", false, "timestamp with time zone", "CURRENT_TIMESTAMP"), ("agent_sessions", "end_time", true, "timestamp with time zone", null),
        ("agent_sessions", "risk_level", false, "integer", "0"), ("agent_sessions", "oversight_level", false, "character varying(32)", "standard"),
        ("agent_sessions", "agent_id", true, "uuid", null), ("agent_sessions", "last_heartbeat_at", true, "timestamp with time zone", null),

        ("qa_results", "task_id", false, "uuid", null), ("qa_results", "project_id", false, "uuid", null), ("qa_results", "agent_session_id", false, "character varying(200)", null),
        ("qa_results", "qa_type", false, "character varying(32)", null), ("qa_results", "status", false, "character varying(32)", null),
        ("qa_results", "findings", true, "jsonb", null), ("qa_results", "mock_violations", true, "jsonb", null),
        ("qa_results", "success_criteria_met", false, "boolean", null), ("qa_results", "remediation_needed", true, "text", null),
        ("qa_results", "timestamp", false, "timestamp with time zone", "CURRENT_TIMESTAMP"),

        ("file_locks", "file_path", false, "character varying(1024)", null), ("file_locks", "locked_by_session", false, "character varying(200)", null),
        ("file_locks", "lock_type", false, "character varying(32)", "exclusive"), ("file_locks", "timestamp", false, "timestamp with time zone", "CURRENT_TIMESTAMP"),
        ("file_locks", "expires_at", true, "timestamp with time zone", null), ("file_locks", "project_id", false, "uuid", null),

        ("orchestration_events", "sequence", false, "bigint", null), ("orchestration_events", "occurred_at", false, "timestamp with time zone", null),
        ("orchestration_events", "type", false, "character varying(100)", null), ("orchestration_events", "payload", true, "jsonb", null),
        ("work_item_dependencies", "work_item_id", false, "uuid", null), ("work_item_dependencies", "depends_on_id", false, "uuid", null),
    ];

    // The key indexes of the schema, by name (docs/schema.md), plus the ones the claim, lock, reaper and dashboard queries need.
    private static readonly (string Table, string Index, string[] Columns, bool Unique)[] Indexes =
    [
        ("agent_profiles", "agent_profiles_type_status", ["type", "status"], false),
        ("agent_profiles", "agent_profiles_slug", ["slug"], true),
        ("work_items", "work_items_assignee", ["assignee_type", "assignee_id"], false),
        ("work_items", "work_items_delegation_status", ["delegation_status"], false),
        // work_items_project_status covers the dashboard's work by status, differently per provider: its own test below.
        ("task_assignments", "task_assignments_work_item", ["work_item_id"], false),
        ("task_assignments", "task_assignments_agent", ["agent_id"], false),
        ("task_assignments", "task_assignments_status", ["status"], false),
        ("task_assignments", "task_assignments_assigned_at", ["assigned_at"], false),
        ("work_items", "ix_work_items_claim", ["project_id", "delegation_status", "priority", "created_at"], false),
        ("task_assignments", "ix_task_assignments_active_lease", ["lease_expires_at"], false),
        ("task_assignments", "ux_task_assignments_agent_idempotency_key", ["agent_id", "idempotency_key"], true),
        ("task_assignments", "ux_task_assignments_work_item_fencing_token", ["work_item_id", "fencing_token"], true),
        ("agent_sessions", "ix_agent_sessions_status_heartbeat", ["status", "last_heartbeat_at"], false),
        ("file_locks", "ix_file_locks_project_path", ["project_id", "file_path"], false),
        ("agent_capabilities", "ux_agent_capabilities_agent_capability", ["agent_id", "capability"], true),
        ("qa_results", "ix_qa_results_task_type_timestamp", ["task_id", "qa_type", "timestamp"], false),
        ("qa_results", "ix_qa_results_project_type_status", ["project_id", "qa_type", "status"], false),
        ("projects", "ux_projects_key", ["key"], true),
        ("sprints", "ux_sprints_project_active", ["project_id"], true),
    ];

    private DatabaseModel schema = null!;

    protected override bool StartsMigrated => true;

    [SetUp]
    public async Task MigrateAndReadAsync()
    {
        await using (var context = await MigratedContextAsync())
        {
        }

        schema = SchemaReader.Read(Database);
    }

    [Test]
    public void Every_column_has_its_seed_type_nullability_and_default()
    {
        Assert.Multiple(() =>
        {
            foreach (var (table, name, nullable, pgType, defaultValue) in Columns)
            {
                var column = Table(table).Columns.SingleOrDefault(c => c.Name == name);
                Assert.That(column, Is.Not.Null, $"{table}.{name} exists");
                if (column is null)
                {
                    continue;
                }

                Assert.That(column.IsNullable, Is.EqualTo(nullable), $"{table}.{name} nullability");
                if (Provider == DatabaseProvider.PostgreSql)
                {
                    Assert.That(column.StoreType, Is.EqualTo(pgType), $"{table}.{name} type");
                }

                if (defaultValue is not null)
                {
                    Assert.That(column.DefaultValueSql, Does.Contain(defaultValue).IgnoreCase, $"{table}.{name} default");
                }
            }
        });
    }

    [Test]
    public void Every_seed_index_exists_with_its_columns()
    {
        Assert.Multiple(() =>
        {
            foreach (var (table, name, columns, unique) in Indexes)
            {
                var index = Table(table).Indexes.SingleOrDefault(i => i.Name == name);
                var uniqueConstraint = Table(table).UniqueConstraints.SingleOrDefault(u => u.Name == name);
                var actualColumns = index?.Columns ?? uniqueConstraint?.Columns;
                Assert.That(actualColumns, Is.Not.Null, $"index {name} on {table}");
                Assert.That(actualColumns?.Select(c => c.Name), Is.EqualTo(columns), $"columns of {name}");
                Assert.That(index?.IsUnique ?? true, Is.EqualTo(unique), $"uniqueness of {name}");
            }
        });
    }

    [Test]
    public async Task Work_items_by_project_and_status_is_one_index_that_also_covers_the_work_by_status()
    {
        var workItems = Table("work_items");
        var index = workItems.Indexes.SingleOrDefault(i => i.Name == "work_items_project_status");
        Assert.That(index, Is.Not.Null);

        await using var db = CreateContext();
        var definition = Provider == DatabaseProvider.PostgreSql
            ? (string?)await RawSql.ScalarAsync(db, "SELECT pg_get_indexdef('work_items_project_status'::regclass)")
            : (string?)await RawSql.ScalarAsync(db, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'work_items_project_status'");
        Assert.Multiple(() =>
        {
            Assert.That(index!.IsUnique, Is.False);
            if (Provider == DatabaseProvider.PostgreSql)
            {
                // The hours are only read: INCLUDE columns, outside the key.
                Assert.That(index.Columns.Select(c => c.Name), Is.EqualTo(new[] { "project_id", "status", "delegation_status" }));
                Assert.That(definition, Does.Contain("(project_id, status, delegation_status) INCLUDE (estimated_hours, actual_hours)"));
            }
            else
            {
                // SQLite has no INCLUDE: the hours trail the key, so the index alone answers the query.
                Assert.That(index.Columns.Select(c => c.Name), Is.EqualTo(new[] { "project_id", "status", "delegation_status", "estimated_hours", "actual_hours" }));
                Assert.That(definition, Does.Contain("work_items_project_status"));
            }

            // It replaced the plain (project_id, status) index: one index of work_items starts with those columns, not two.
            Assert.That(workItems.Indexes.Count(i => i.Columns.Select(c => c.Name).Take(2).SequenceEqual(["project_id", "status"])), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Leases_are_indexed_by_expiry_only_while_their_assignment_holds_its_item()
    {
        var assignments = Table("task_assignments");
        Assert.That(assignments.Indexes.SingleOrDefault(i => i.Name == "ix_task_assignments_active_lease"), Is.Not.Null);

        // SQLite's schema reader does not read index predicates: the CREATE INDEX statement holds it.
        await using var db = CreateContext();
        var filter = Provider == DatabaseProvider.PostgreSql
            ? (string?)await RawSql.ScalarAsync(db, "SELECT pg_get_expr(i.indpred, i.indrelid) FROM pg_index i WHERE i.indexrelid = 'ix_task_assignments_active_lease'::regclass")
            : (string?)await RawSql.ScalarAsync(db, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'ix_task_assignments_active_lease'");
        Assert.Multiple(() =>
        {
            // The claim's lapsed-lease branch reads this index, so it must hold every active assignment and nothing else:
            // a finished assignment leaves it, which keeps it as small as the work in flight.
            Assert.That(filter, Does.Contain("status"));
            foreach (var status in ReadyWorkRule.ActiveAssignments)
            {
                Assert.That(filter, Does.Contain($"'{StoredEnum.ToStore(status)}'"), "an active assignment is in the index");
            }

            foreach (var status in Enum.GetValues<AssignmentStatus>().Except(ReadyWorkRule.ActiveAssignments))
            {
                Assert.That(filter, Does.Not.Contain($"'{StoredEnum.ToStore(status)}'"), "a finished assignment is not");
            }

            // The unfiltered (status, lease_expires_at) index it replaces is gone: every assignment was in it.
            Assert.That(assignments.Indexes.Select(i => i.Name), Does.Not.Contain("ix_task_assignments_lease"));
        });
    }

    // The indexes on nullable keys: only rows with a value are in them (PartialForeignKeyIndexes).
    private static readonly (string Table, string Index, string Column)[] NotNullIndexes =
    [
        ("work_items", "ix_work_items_sprint_status", "sprint_id"),
        ("work_items", "ix_work_items_parent_id", "parent_id"),
        ("work_items", "ix_work_items_created_from_backlog_id", "created_from_backlog_id"),
        ("work_items", "ix_work_items_assigned_agent_session", "assigned_agent_session"),
        ("work_items", "ix_work_items_assigned_agent", "assigned_agent_id"),
        ("work_items", "ix_work_items_current_assignment_id", "current_assignment_id"),
        ("task_assignments", "ux_task_assignments_agent_idempotency_key", "idempotency_key"),
        ("agent_sessions", "ix_agent_sessions_agent_id", "agent_id"),
        ("agent_sessions", "ix_agent_sessions_parent_story_id", "parent_story_id"),
        ("agent_sessions", "ix_agent_sessions_backlog_id", "backlog_id"),
        ("agent_sessions", "ix_agent_sessions_task_id", "task_id"),
    ];

    [Test]
    public async Task Indexes_on_nullable_keys_hold_only_rows_with_a_value_and_serve_lookups_by_value()
    {
        await using var db = CreateContext();
        await db.Database.OpenConnectionAsync();
        await using var transaction = Provider == DatabaseProvider.PostgreSql ? await db.Database.BeginTransactionAsync() : null;
        if (transaction is not null)
        {
            // The tables are nearly empty, so a scan would win: without scans, a plan shows whether the index can serve.
            await db.Database.ExecuteSqlRawAsync("SET LOCAL enable_seqscan = off");
        }

        Assert.Multiple(() =>
        {
            foreach (var (table, index, column) in NotNullIndexes)
            {
                Assert.That(Table(table).Indexes.SingleOrDefault(i => i.Name == index)?.Columns.Select(c => c.Name), Does.Contain(column), $"{index} on {column}");
            }
        });

        foreach (var (table, index, column) in NotNullIndexes)
        {
            // SQLite's schema reader does not read index predicates: the CREATE INDEX statement holds it.
            var filter = Provider == DatabaseProvider.PostgreSql
                ? (string?)await RawSql.ScalarAsync(db, $"SELECT pg_get_expr(i.indpred, i.indrelid) FROM pg_index i WHERE i.indexrelid = '{index}'::regclass")
                : (string?)await RawSql.ScalarAsync(db, $"SELECT sql FROM sqlite_master WHERE type = 'index' AND name = '{index}'");
            Assert.That(filter, Does.Contain($"{column} IS NOT NULL").Or.Contain($"\"{column}\" IS NOT NULL"), $"{index} holds only rows with a {column}");

            // A lookup by value (what the library's queries and the foreign keys' cascades and checks do) still uses it.
            var plan = await PlanAsync(db, $"SELECT 1 FROM \"{table}\" WHERE \"{column}\" = '00000000-0000-0000-0000-000000000000'");
            Assert.That(plan, Does.Contain(index), $"a lookup by {column} uses {index}");
        }

        if (transaction is not null)
        {
            await transaction.RollbackAsync();
        }
    }

    private async Task<string> PlanAsync(DbContext db, string query)
    {
        var connection = db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        command.CommandText = (Provider == DatabaseProvider.PostgreSql ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + query;
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetValue(reader.FieldCount - 1)?.ToString() ?? string.Empty);
        }

        return string.Join("\n", lines);
    }

    [Test]
    public void Session_ids_are_unique_and_referenced_by_qa_results_and_file_locks()
    {
        var sessions = Table("agent_sessions");
        Assert.That(sessions.UniqueConstraints.Select(u => u.Columns.Single().Name).Concat(sessions.Indexes.Where(i => i.IsUnique).Select(i => i.Columns.Single().Name)), Does.Contain("session_id"));

        Assert.Multiple(() =>
        {
            AssertForeignKey("qa_results", "agent_session_id", "agent_sessions", ReferentialAction.Cascade);
            AssertForeignKey("file_locks", "locked_by_session", "agent_sessions", ReferentialAction.Cascade);
            AssertForeignKey("qa_results", "task_id", "work_items", ReferentialAction.Cascade);
            AssertForeignKey("qa_results", "project_id", "projects", ReferentialAction.Cascade);
            AssertForeignKey("agent_sessions", "parent_story_id", "work_items", ReferentialAction.Cascade);
            AssertForeignKey("agent_sessions", "backlog_id", "backlog", ReferentialAction.SetNull);
            AssertForeignKey("agent_sessions", "task_id", "work_items", ReferentialAction.SetNull);
            AssertForeignKey("task_assignments", "work_item_id", "work_items", ReferentialAction.Cascade);
            AssertForeignKey("task_assignments", "agent_id", "agent_profiles", ReferentialAction.Restrict);
            AssertForeignKey("agent_capabilities", "agent_id", "agent_profiles", ReferentialAction.Cascade);
            AssertForeignKey("work_items", "created_from_backlog_id", "backlog", ReferentialAction.SetNull);
        });
    }

    [Test]
    public async Task Only_one_sprint_per_project_can_be_active_whoever_writes()
    {
        await using var db = CreateContext();
        var project = Fakes.Project();
        var other = Fakes.Project();
        db.AddRange(project, other);
        await db.SaveChangesAsync();
        Sprint NewSprint(Project p, SprintStatus status) =>
            new() { ProjectId = p.Id, Name = $"{status} sprint", Status = status, CreatedAt = Fakes.Now, UpdatedAt = Fakes.Now };

        // Planned and completed sprints are unlimited, and each project has its own active one.
        db.AddRange(NewSprint(project, SprintStatus.Active), NewSprint(project, SprintStatus.Planned), NewSprint(project, SprintStatus.Planned),
            NewSprint(project, SprintStatus.Completed), NewSprint(project, SprintStatus.Completed), NewSprint(other, SprintStatus.Active));
        await db.SaveChangesAsync();
        db.ChangeTracker.Clear();

        db.Add(NewSprint(project, SprintStatus.Active));
        Assert.That(() => db.SaveChangesAsync(), Throws.InstanceOf<DbUpdateException>());
        db.ChangeTracker.Clear();
        Assert.That(await db.Set<Sprint>().CountAsync(s => s.ProjectId == project.Id && s.Status == SprintStatus.Active), Is.EqualTo(1));
    }

    [Test]
    public void On_postgresql_every_event_records_its_writing_transaction_for_the_feed()
    {
        var events = Table("orchestration_events");
        var column = events.Columns.SingleOrDefault(c => c.Name == "transaction_id");
        if (Provider == DatabaseProvider.Sqlite)
        {
            // One writer at a time: SQLite commits in sequence order and needs no transaction column.
            Assert.That(column, Is.Null);
            Assert.That(schema.Sequences, Is.Empty);
            return;
        }

        Assert.Multiple(() =>
        {
            Assert.That(column?.StoreType, Is.EqualTo("xid8"));
            Assert.That(column?.IsNullable, Is.False);
            Assert.That(column?.DefaultValueSql, Does.Contain("pg_current_xact_id()").And.Contain("pg_notify('orchestration_events'"));
            // The feed's horizon: event writers announce themselves with a shared advisory lock, readers raise the sequence.
            Assert.That(column?.DefaultValueSql, Does.Contain("pg_advisory_xact_lock_shared(").And.Contain("orchestration_events_horizon"));
            Assert.That(schema.Sequences.Select(q => q.Name), Does.Contain("orchestration_events_horizon"));
            Assert.That(events.Indexes.SingleOrDefault(i => i.Name == "ix_orchestration_events_transaction_sequence")?.Columns.Select(c => c.Name),
                Is.EqualTo(new[] { "transaction_id", "sequence" }));
        });
    }

    [Test]
    public void Work_items_have_no_foreign_key_on_assignee_id_because_it_may_name_a_host_user()
    {
        Assert.That(Table("work_items").ForeignKeys.SelectMany(f => f.Columns).Select(c => c.Name), Does.Not.Contain("assignee_id"));
    }

    private DatabaseTable Table(string name) => schema.Tables.Single(t => t.Name == name);

    private void AssertForeignKey(string table, string column, string principal, ReferentialAction onDelete)
    {
        var foreignKey = Table(table).ForeignKeys.SingleOrDefault(f => f.Columns.Select(c => c.Name).SequenceEqual([column]));
        Assert.That(foreignKey, Is.Not.Null, $"{table}.{column} references {principal}");
        Assert.That(foreignKey?.PrincipalTable.Name, Is.EqualTo(principal), $"{table}.{column} principal");
        Assert.That(foreignKey?.OnDelete, Is.EqualTo(onDelete), $"{table}.{column} on delete");
    }
}
