using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AgentOrchestration.Data.PostgreSql.Migrations
{
    /// <inheritdoc />
    internal partial class BacklogSessionsQaResultsAndFileLocks : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "assigned_agent_session",
                table: "work_items",
                type: "character varying(200)",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "text",
                oldNullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "backlog_item_id",
                table: "work_items",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "backlog",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    project_id = table.Column<Guid>(type: "uuid", nullable: false),
                    title = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    description = table.Column<string>(type: "text", nullable: false),
                    success_criteria = table.Column<string>(type: "text", nullable: false),
                    priority = table.Column<int>(type: "integer", nullable: false, defaultValue: 3),
                    estimated_complexity = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false, defaultValue: "moderate"),
                    business_value = table.Column<int>(type: "integer", nullable: false, defaultValue: 5),
                    risk_score = table.Column<int>(type: "integer", nullable: false, defaultValue: 0),
                    created_by = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false, defaultValue: "user"),
                    assigned_to_agent = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false, defaultValue: "backlog"),
                    timestamp = table.Column<DateTime>(type: "timestamp with time zone", nullable: false, defaultValueSql: "CURRENT_TIMESTAMP"),
                    last_analyzed = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    prime_notes = table.Column<string>(type: "text", nullable: true)
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
                name: "agent_sessions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    session_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    project_id = table.Column<Guid>(type: "uuid", nullable: false),
                    agent_id = table.Column<Guid>(type: "uuid", nullable: true),
                    parent_story_id = table.Column<Guid>(type: "uuid", nullable: true),
                    backlog_id = table.Column<Guid>(type: "uuid", nullable: true),
                    task_id = table.Column<Guid>(type: "uuid", nullable: true),
                    agent_type = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false, defaultValue: "active"),
                    current_action = table.Column<string>(type: "text", nullable: true),
                    start_time = table.Column<DateTime>(type: "timestamp with time zone", nullable: false, defaultValueSql: "CURRENT_TIMESTAMP"),
                    end_time = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    last_heartbeat_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    risk_level = table.Column<int>(type: "integer", nullable: false, defaultValue: 0),
                    oversight_level = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false, defaultValue: "standard"),
                    file_locks = table.Column<string>(type: "jsonb", nullable: true)
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
                        name: "fk_agent_sessions_parent_story_id",
                        column: x => x.parent_story_id,
                        principalTable: "work_items",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_agent_sessions_project_id",
                        column: x => x.project_id,
                        principalTable: "projects",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_agent_sessions_task_id",
                        column: x => x.task_id,
                        principalTable: "work_items",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "file_locks",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    project_id = table.Column<Guid>(type: "uuid", nullable: false),
                    file_path = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: false),
                    locked_by_session = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    lock_type = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false, defaultValue: "exclusive"),
                    timestamp = table.Column<DateTime>(type: "timestamp with time zone", nullable: false, defaultValueSql: "CURRENT_TIMESTAMP"),
                    expires_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
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
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    task_id = table.Column<Guid>(type: "uuid", nullable: false),
                    agent_session_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    qa_type = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    success_criteria_met = table.Column<bool>(type: "boolean", nullable: false, defaultValue: false),
                    remediation_needed = table.Column<string>(type: "text", nullable: true),
                    timestamp = table.Column<DateTime>(type: "timestamp with time zone", nullable: false, defaultValueSql: "CURRENT_TIMESTAMP"),
                    findings = table.Column<string>(type: "jsonb", nullable: true),
                    mock_violations = table.Column<string>(type: "jsonb", nullable: true)
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
                    table.ForeignKey(
                        name: "fk_qa_results_task_id",
                        column: x => x.task_id,
                        principalTable: "work_items",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_work_items_assigned_agent_session",
                table: "work_items",
                column: "assigned_agent_session");

            migrationBuilder.CreateIndex(
                name: "ix_work_items_backlog_item_id",
                table: "work_items",
                column: "backlog_item_id");

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
                name: "ix_qa_results_agent_session_id",
                table: "qa_results",
                column: "agent_session_id");

            migrationBuilder.CreateIndex(
                name: "ix_qa_results_task_type_timestamp",
                table: "qa_results",
                columns: new[] { "task_id", "qa_type", "timestamp" });

            migrationBuilder.AddForeignKey(
                name: "fk_work_items_assigned_agent_session",
                table: "work_items",
                column: "assigned_agent_session",
                principalTable: "agent_sessions",
                principalColumn: "session_id",
                onDelete: ReferentialAction.SetNull);

            migrationBuilder.AddForeignKey(
                name: "fk_work_items_backlog_item_id",
                table: "work_items",
                column: "backlog_item_id",
                principalTable: "backlog",
                principalColumn: "id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_work_items_assigned_agent_session",
                table: "work_items");

            migrationBuilder.DropForeignKey(
                name: "fk_work_items_backlog_item_id",
                table: "work_items");

            migrationBuilder.DropTable(
                name: "file_locks");

            migrationBuilder.DropTable(
                name: "qa_results");

            migrationBuilder.DropTable(
                name: "agent_sessions");

            migrationBuilder.DropTable(
                name: "backlog");

            migrationBuilder.DropIndex(
                name: "ix_work_items_assigned_agent_session",
                table: "work_items");

            migrationBuilder.DropIndex(
                name: "ix_work_items_backlog_item_id",
                table: "work_items");

            migrationBuilder.DropColumn(
                name: "backlog_item_id",
                table: "work_items");

            migrationBuilder.AlterColumn<string>(
                name: "assigned_agent_session",
                table: "work_items",
                type: "text",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "character varying(200)",
                oldNullable: true);
        }
    }
}
