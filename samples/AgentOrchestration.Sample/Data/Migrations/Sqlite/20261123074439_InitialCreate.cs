using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AgentOrchestration.Sample.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class InitialCreate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "agent_profiles",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    slug = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    type = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    mode = table.Column<string>(type: "TEXT", maxLength: 50, nullable: false),
                    description = table.Column<string>(type: "TEXT", nullable: true),
                    status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false, defaultValue: "active"),
                    max_concurrent_tasks = table.Column<int>(type: "INTEGER", nullable: false, defaultValue: 1),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    capabilities = table.Column<string>(type: "TEXT", nullable: true),
                    constraints = table.Column<string>(type: "TEXT", nullable: true),
                    metadata = table.Column<string>(type: "TEXT", nullable: true),
                    tools = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_agent_profiles", x => x.id);
                    table.CheckConstraint("ck_agent_profiles_max_concurrent_tasks", "\"max_concurrent_tasks\" >= 1");
                    table.CheckConstraint("ck_agent_profiles_slug", "length(\"slug\") > 0 AND \"slug\" = lower(\"slug\")");
                    table.CheckConstraint("ck_agent_profiles_status", "\"status\" IN ('active', 'inactive', 'archived')");
                });

            migrationBuilder.CreateTable(
                name: "orchestration_events",
                columns: table => new
                {
                    sequence = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    occurred_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    type = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    project_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    entity_type = table.Column<string>(type: "TEXT", maxLength: 50, nullable: false),
                    entity_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    actor = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    payload = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_orchestration_events", x => x.sequence);
                });

            migrationBuilder.CreateTable(
                name: "projects",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    description = table.Column<string>(type: "TEXT", nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_projects", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "sample_scenario_runs",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    project_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    provider = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    agents = table.Column<int>(type: "INTEGER", nullable: false),
                    tasks = table.Column<int>(type: "INTEGER", nullable: false),
                    started_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    finished_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    outcome = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sample_scenario_runs", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "agent_capabilities",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    agent_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    capability = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    proficiency = table.Column<int>(type: "INTEGER", nullable: false, defaultValue: 3),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_agent_capabilities", x => x.id);
                    table.CheckConstraint("ck_agent_capabilities_capability", "length(\"capability\") > 0 AND \"capability\" = lower(\"capability\")");
                    table.CheckConstraint("ck_agent_capabilities_proficiency", "\"proficiency\" BETWEEN 1 AND 5");
                    table.ForeignKey(
                        name: "fk_agent_capabilities_agent_id",
                        column: x => x.agent_id,
                        principalTable: "agent_profiles",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "backlog",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    project_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    title = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    description = table.Column<string>(type: "TEXT", nullable: false),
                    success_criteria = table.Column<string>(type: "TEXT", nullable: false),
                    priority = table.Column<int>(type: "INTEGER", nullable: false, defaultValue: 3),
                    estimated_complexity = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false, defaultValue: "moderate"),
                    business_value = table.Column<int>(type: "INTEGER", nullable: false, defaultValue: 5),
                    risk_score = table.Column<int>(type: "INTEGER", nullable: false, defaultValue: 0),
                    created_by = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false, defaultValue: "user"),
                    assigned_to_agent = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false, defaultValue: "backlog"),
                    timestamp = table.Column<DateTime>(type: "TEXT", nullable: false, defaultValueSql: "CURRENT_TIMESTAMP"),
                    last_analyzed = table.Column<DateTime>(type: "TEXT", nullable: true),
                    prime_notes = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_backlog", x => x.id);
                    table.CheckConstraint("ck_backlog_business_value", "\"business_value\" BETWEEN 1 AND 10");
                    table.CheckConstraint("ck_backlog_estimated_complexity", "\"estimated_complexity\" IN ('simple', 'moderate', 'complex', 'high_risk')");
                    table.CheckConstraint("ck_backlog_priority", "\"priority\" BETWEEN 1 AND 5");
                    table.CheckConstraint("ck_backlog_risk_score", "\"risk_score\" BETWEEN 0 AND 100");
                    table.CheckConstraint("ck_backlog_status", "\"status\" IN ('backlog', 'analyzing', 'ready', 'blocked')");
                    table.ForeignKey(
                        name: "fk_backlog_project_id",
                        column: x => x.project_id,
                        principalTable: "projects",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "sprints",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    project_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    goal = table.Column<string>(type: "TEXT", nullable: true),
                    starts_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    ends_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false, defaultValue: "planned"),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sprints", x => x.id);
                    table.CheckConstraint("ck_sprints_status", "\"status\" IN ('planned', 'active', 'completed')");
                    table.ForeignKey(
                        name: "fk_sprints_project_id",
                        column: x => x.project_id,
                        principalTable: "projects",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "agent_sessions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    session_id = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    project_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    agent_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    parent_story_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    backlog_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    task_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    agent_type = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false, defaultValue: "active"),
                    current_action = table.Column<string>(type: "TEXT", nullable: true),
                    start_time = table.Column<DateTime>(type: "TEXT", nullable: false, defaultValueSql: "CURRENT_TIMESTAMP"),
                    end_time = table.Column<DateTime>(type: "TEXT", nullable: true),
                    last_heartbeat_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    risk_level = table.Column<int>(type: "INTEGER", nullable: false, defaultValue: 0),
                    oversight_level = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false, defaultValue: "standard"),
                    file_locks = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_agent_sessions", x => x.id);
                    table.UniqueConstraint("ux_agent_sessions_session_id", x => x.session_id);
                    table.CheckConstraint("ck_agent_sessions_agent_type", "\"agent_type\" IN ('prime', 'architecture', 'implementation', 'testing', 'security', 'integration', 'qa')");
                    table.CheckConstraint("ck_agent_sessions_oversight_level", "\"oversight_level\" IN ('standard', 'enhanced', 'strict', 'direct')");
                    table.CheckConstraint("ck_agent_sessions_session_id", "length(\"session_id\") > 0");
                    table.CheckConstraint("ck_agent_sessions_status", "\"status\" IN ('active', 'paused', 'completed', 'failed', 'halted')");
                    table.ForeignKey(
                        name: "fk_agent_sessions_agent_id",
                        column: x => x.agent_id,
                        principalTable: "agent_profiles",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_agent_sessions_backlog_id",
                        column: x => x.backlog_id,
                        principalTable: "backlog",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_agent_sessions_project_id",
                        column: x => x.project_id,
                        principalTable: "projects",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "file_locks",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    project_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    file_path = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: false),
                    locked_by_session = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    lock_type = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false, defaultValue: "exclusive"),
                    timestamp = table.Column<DateTime>(type: "TEXT", nullable: false, defaultValueSql: "CURRENT_TIMESTAMP"),
                    expires_at = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_file_locks", x => x.id);
                    table.CheckConstraint("ck_file_locks_file_path", "length(\"file_path\") > 0");
                    table.CheckConstraint("ck_file_locks_lock_type", "\"lock_type\" IN ('exclusive', 'shared')");
                    table.ForeignKey(
                        name: "fk_file_locks_locked_by_session",
                        column: x => x.locked_by_session,
                        principalTable: "agent_sessions",
                        principalColumn: "session_id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_file_locks_project_id",
                        column: x => x.project_id,
                        principalTable: "projects",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "qa_results",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    task_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    agent_session_id = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    qa_type = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    success_criteria_met = table.Column<bool>(type: "INTEGER", nullable: false, defaultValue: false),
                    remediation_needed = table.Column<string>(type: "TEXT", nullable: true),
                    timestamp = table.Column<DateTime>(type: "TEXT", nullable: false, defaultValueSql: "CURRENT_TIMESTAMP"),
                    findings = table.Column<string>(type: "TEXT", nullable: true),
                    mock_violations = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_qa_results", x => x.id);
                    table.CheckConstraint("ck_qa_results_qa_type", "\"qa_type\" IN ('code_review', 'functional_test', 'mock_detection', 'success_criteria')");
                    table.CheckConstraint("ck_qa_results_status", "\"status\" IN ('pass', 'fail', 'warning')");
                    table.ForeignKey(
                        name: "fk_qa_results_agent_session_id",
                        column: x => x.agent_session_id,
                        principalTable: "agent_sessions",
                        principalColumn: "session_id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "task_assignments",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    work_item_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    agent_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    assigned_by = table.Column<Guid>(type: "TEXT", nullable: true),
                    assigned_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    started_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    completed_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    notes = table.Column<string>(type: "TEXT", nullable: true),
                    lease_expires_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    fencing_token = table.Column<long>(type: "INTEGER", nullable: false, defaultValue: 0L),
                    idempotency_key = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    context = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_task_assignments", x => x.id);
                    table.CheckConstraint("ck_task_assignments_fencing_token", "\"fencing_token\" >= 0");
                    table.CheckConstraint("ck_task_assignments_status", "\"status\" IN ('assigned', 'started', 'paused', 'completed', 'cancelled')");
                    table.ForeignKey(
                        name: "fk_task_assignments_agent_id",
                        column: x => x.agent_id,
                        principalTable: "agent_profiles",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "work_items",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    project_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    sprint_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    parent_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    type = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    title = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    description = table.Column<string>(type: "TEXT", nullable: true),
                    success_criteria = table.Column<string>(type: "TEXT", nullable: true),
                    status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false, defaultValue: "todo"),
                    priority = table.Column<int>(type: "INTEGER", nullable: false, defaultValue: 3),
                    assignee_type = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    assignee_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    delegation_status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false, defaultValue: "unassigned"),
                    estimated_hours = table.Column<decimal>(type: "TEXT", precision: 8, scale: 2, nullable: true),
                    actual_hours = table.Column<decimal>(type: "TEXT", precision: 8, scale: 2, nullable: true),
                    qa_status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false, defaultValue: "not_started"),
                    success_criteria_met = table.Column<bool>(type: "INTEGER", nullable: false, defaultValue: false),
                    assigned_agent_session = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    created_from_backlog_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    prime_approved = table.Column<bool>(type: "INTEGER", nullable: false, defaultValue: false),
                    required_capabilities = table.Column<string>(type: "TEXT", nullable: true),
                    assigned_agent_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    current_assignment_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    delegation_context = table.Column<string>(type: "TEXT", nullable: true),
                    delegation_history = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_work_items", x => x.id);
                    table.CheckConstraint("ck_work_items_actual_hours", "\"actual_hours\" IS NULL OR \"actual_hours\" >= 0");
                    table.CheckConstraint("ck_work_items_assignee_type", "\"assignee_type\" IN ('agent', 'user')");
                    table.CheckConstraint("ck_work_items_delegation_status", "\"delegation_status\" IN ('unassigned', 'assigned', 'in_progress', 'blocked', 'completed')");
                    table.CheckConstraint("ck_work_items_estimated_hours", "\"estimated_hours\" IS NULL OR \"estimated_hours\" >= 0");
                    table.CheckConstraint("ck_work_items_parent_id", "\"parent_id\" IS NULL OR \"parent_id\" <> \"id\"");
                    table.CheckConstraint("ck_work_items_priority", "\"priority\" BETWEEN 1 AND 5");
                    table.CheckConstraint("ck_work_items_qa_status", "\"qa_status\" IN ('not_started', 'in_qa', 'qa_passed', 'qa_failed')");
                    table.CheckConstraint("ck_work_items_status", "\"status\" IN ('todo', 'in_progress', 'blocked', 'in_review', 'done', 'cancelled')");
                    table.CheckConstraint("ck_work_items_type", "\"type\" IN ('epic', 'story', 'task', 'bug')");
                    table.ForeignKey(
                        name: "fk_work_items_assigned_agent_id",
                        column: x => x.assigned_agent_id,
                        principalTable: "agent_profiles",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_work_items_assigned_agent_session",
                        column: x => x.assigned_agent_session,
                        principalTable: "agent_sessions",
                        principalColumn: "session_id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_work_items_created_from_backlog_id",
                        column: x => x.created_from_backlog_id,
                        principalTable: "backlog",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_work_items_current_assignment_id",
                        column: x => x.current_assignment_id,
                        principalTable: "task_assignments",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_work_items_parent_id",
                        column: x => x.parent_id,
                        principalTable: "work_items",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_work_items_project_id",
                        column: x => x.project_id,
                        principalTable: "projects",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_work_items_sprint_id",
                        column: x => x.sprint_id,
                        principalTable: "sprints",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "work_item_dependencies",
                columns: table => new
                {
                    work_item_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    depends_on_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_work_item_dependencies", x => new { x.work_item_id, x.depends_on_id });
                    table.CheckConstraint("ck_work_item_dependencies_depends_on_id", "\"depends_on_id\" <> \"work_item_id\"");
                    table.ForeignKey(
                        name: "fk_work_item_dependencies_depends_on_id",
                        column: x => x.depends_on_id,
                        principalTable: "work_items",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_work_item_dependencies_work_item_id",
                        column: x => x.work_item_id,
                        principalTable: "work_items",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_agent_capabilities_capability",
                table: "agent_capabilities",
                column: "capability");

            migrationBuilder.CreateIndex(
                name: "ux_agent_capabilities_agent_capability",
                table: "agent_capabilities",
                columns: new[] { "agent_id", "capability" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "agent_profiles_slug",
                table: "agent_profiles",
                column: "slug",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "agent_profiles_type_status",
                table: "agent_profiles",
                columns: new[] { "type", "status" });

            migrationBuilder.CreateIndex(
                name: "ix_agent_sessions_agent_id",
                table: "agent_sessions",
                column: "agent_id");

            migrationBuilder.CreateIndex(
                name: "ix_agent_sessions_backlog_id",
                table: "agent_sessions",
                column: "backlog_id");

            migrationBuilder.CreateIndex(
                name: "ix_agent_sessions_parent_story_id",
                table: "agent_sessions",
                column: "parent_story_id");

            migrationBuilder.CreateIndex(
                name: "ix_agent_sessions_project_status",
                table: "agent_sessions",
                columns: new[] { "project_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ix_agent_sessions_status_heartbeat",
                table: "agent_sessions",
                columns: new[] { "status", "last_heartbeat_at" });

            migrationBuilder.CreateIndex(
                name: "ix_agent_sessions_task_id",
                table: "agent_sessions",
                column: "task_id");

            migrationBuilder.CreateIndex(
                name: "ix_backlog_project_status_priority",
                table: "backlog",
                columns: new[] { "project_id", "status", "priority" });

            migrationBuilder.CreateIndex(
                name: "ix_file_locks_expires_at",
                table: "file_locks",
                column: "expires_at");

            migrationBuilder.CreateIndex(
                name: "ix_file_locks_locked_by_session",
                table: "file_locks",
                column: "locked_by_session");

            migrationBuilder.CreateIndex(
                name: "ix_file_locks_project_path",
                table: "file_locks",
                columns: new[] { "project_id", "file_path" });

            migrationBuilder.CreateIndex(
                name: "ix_orchestration_events_entity",
                table: "orchestration_events",
                columns: new[] { "entity_type", "entity_id" });

            migrationBuilder.CreateIndex(
                name: "ix_orchestration_events_project_sequence",
                table: "orchestration_events",
                columns: new[] { "project_id", "sequence" });

            migrationBuilder.CreateIndex(
                name: "ux_projects_key",
                table: "projects",
                column: "key",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_qa_results_agent_session_id",
                table: "qa_results",
                column: "agent_session_id");

            migrationBuilder.CreateIndex(
                name: "ix_qa_results_task_type_timestamp",
                table: "qa_results",
                columns: new[] { "task_id", "qa_type", "timestamp" });

            migrationBuilder.CreateIndex(
                name: "ix_sprints_project_status",
                table: "sprints",
                columns: new[] { "project_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ux_sprints_project_active",
                table: "sprints",
                column: "project_id",
                unique: true,
                filter: "status = 'active'");

            migrationBuilder.CreateIndex(
                name: "ix_task_assignments_agent_status",
                table: "task_assignments",
                columns: new[] { "agent_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ix_task_assignments_lease",
                table: "task_assignments",
                columns: new[] { "status", "lease_expires_at" });

            migrationBuilder.CreateIndex(
                name: "task_assignments_agent",
                table: "task_assignments",
                column: "agent_id");

            migrationBuilder.CreateIndex(
                name: "task_assignments_assigned_at",
                table: "task_assignments",
                column: "assigned_at");

            migrationBuilder.CreateIndex(
                name: "task_assignments_status",
                table: "task_assignments",
                column: "status");

            migrationBuilder.CreateIndex(
                name: "task_assignments_work_item",
                table: "task_assignments",
                column: "work_item_id");

            migrationBuilder.CreateIndex(
                name: "ux_task_assignments_agent_idempotency_key",
                table: "task_assignments",
                columns: new[] { "agent_id", "idempotency_key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ux_task_assignments_work_item_fencing_token",
                table: "task_assignments",
                columns: new[] { "work_item_id", "fencing_token" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_work_item_dependencies_depends_on_id",
                table: "work_item_dependencies",
                column: "depends_on_id");

            migrationBuilder.CreateIndex(
                name: "ix_work_items_assigned_agent",
                table: "work_items",
                columns: new[] { "assigned_agent_id", "delegation_status" });

            migrationBuilder.CreateIndex(
                name: "ix_work_items_assigned_agent_session",
                table: "work_items",
                column: "assigned_agent_session");

            migrationBuilder.CreateIndex(
                name: "ix_work_items_claim",
                table: "work_items",
                columns: new[] { "project_id", "delegation_status", "priority", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_work_items_created_from_backlog_id",
                table: "work_items",
                column: "created_from_backlog_id");

            migrationBuilder.CreateIndex(
                name: "ix_work_items_current_assignment_id",
                table: "work_items",
                column: "current_assignment_id");

            migrationBuilder.CreateIndex(
                name: "ix_work_items_parent_id",
                table: "work_items",
                column: "parent_id");

            migrationBuilder.CreateIndex(
                name: "ix_work_items_sprint_status",
                table: "work_items",
                columns: new[] { "sprint_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ix_work_items_status_updated_at",
                table: "work_items",
                columns: new[] { "status", "updated_at" });

            migrationBuilder.CreateIndex(
                name: "work_items_assignee",
                table: "work_items",
                columns: new[] { "assignee_type", "assignee_id" });

            migrationBuilder.CreateIndex(
                name: "work_items_delegation_status",
                table: "work_items",
                column: "delegation_status");

            migrationBuilder.CreateIndex(
                name: "work_items_project_status",
                table: "work_items",
                columns: new[] { "project_id", "status" });

            migrationBuilder.AddForeignKey(
                name: "fk_agent_sessions_parent_story_id",
                table: "agent_sessions",
                column: "parent_story_id",
                principalTable: "work_items",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "fk_agent_sessions_task_id",
                table: "agent_sessions",
                column: "task_id",
                principalTable: "work_items",
                principalColumn: "id",
                onDelete: ReferentialAction.SetNull);

            migrationBuilder.AddForeignKey(
                name: "fk_qa_results_task_id",
                table: "qa_results",
                column: "task_id",
                principalTable: "work_items",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "fk_task_assignments_work_item_id",
                table: "task_assignments",
                column: "work_item_id",
                principalTable: "work_items",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_agent_sessions_agent_id",
                table: "agent_sessions");

            migrationBuilder.DropForeignKey(
                name: "fk_task_assignments_agent_id",
                table: "task_assignments");

            migrationBuilder.DropForeignKey(
                name: "fk_work_items_assigned_agent_id",
                table: "work_items");

            migrationBuilder.DropForeignKey(
                name: "fk_agent_sessions_backlog_id",
                table: "agent_sessions");

            migrationBuilder.DropForeignKey(
                name: "fk_work_items_created_from_backlog_id",
                table: "work_items");

            migrationBuilder.DropForeignKey(
                name: "fk_agent_sessions_parent_story_id",
                table: "agent_sessions");

            migrationBuilder.DropForeignKey(
                name: "fk_agent_sessions_task_id",
                table: "agent_sessions");

            migrationBuilder.DropForeignKey(
                name: "fk_task_assignments_work_item_id",
                table: "task_assignments");

            migrationBuilder.DropTable(
                name: "agent_capabilities");

            migrationBuilder.DropTable(
                name: "file_locks");

            migrationBuilder.DropTable(
                name: "orchestration_events");

            migrationBuilder.DropTable(
                name: "qa_results");

            migrationBuilder.DropTable(
                name: "sample_scenario_runs");

            migrationBuilder.DropTable(
                name: "work_item_dependencies");

            migrationBuilder.DropTable(
                name: "agent_profiles");

            migrationBuilder.DropTable(
                name: "backlog");

            migrationBuilder.DropTable(
                name: "work_items");

            migrationBuilder.DropTable(
                name: "agent_sessions");

            migrationBuilder.DropTable(
                name: "task_assignments");

            migrationBuilder.DropTable(
                name: "sprints");

            migrationBuilder.DropTable(
                name: "projects");
        }
    }
}
