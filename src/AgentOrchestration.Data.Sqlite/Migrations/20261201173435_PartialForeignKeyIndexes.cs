using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AgentOrchestration.Data.Sqlite.Migrations
{
    /// <inheritdoc />
    internal partial class PartialForeignKeyIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_work_items_assigned_agent",
                table: "work_items");

            migrationBuilder.DropIndex(
                name: "ix_work_items_assigned_agent_session",
                table: "work_items");

            migrationBuilder.DropIndex(
                name: "ix_work_items_created_from_backlog_id",
                table: "work_items");

            migrationBuilder.DropIndex(
                name: "ix_work_items_current_assignment_id",
                table: "work_items");

            migrationBuilder.DropIndex(
                name: "ix_work_items_parent_id",
                table: "work_items");

            migrationBuilder.DropIndex(
                name: "ix_work_items_sprint_status",
                table: "work_items");

            migrationBuilder.DropIndex(
                name: "ux_task_assignments_agent_idempotency_key",
                table: "task_assignments");

            migrationBuilder.DropIndex(
                name: "ix_agent_sessions_agent_id",
                table: "agent_sessions");

            migrationBuilder.DropIndex(
                name: "ix_agent_sessions_backlog_id",
                table: "agent_sessions");

            migrationBuilder.DropIndex(
                name: "ix_agent_sessions_parent_story_id",
                table: "agent_sessions");

            migrationBuilder.DropIndex(
                name: "ix_agent_sessions_task_id",
                table: "agent_sessions");

            migrationBuilder.CreateIndex(
                name: "ix_work_items_assigned_agent",
                table: "work_items",
                columns: new[] { "assigned_agent_id", "delegation_status" },
                filter: "\"assigned_agent_id\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_work_items_assigned_agent_session",
                table: "work_items",
                column: "assigned_agent_session",
                filter: "\"assigned_agent_session\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_work_items_created_from_backlog_id",
                table: "work_items",
                column: "created_from_backlog_id",
                filter: "\"created_from_backlog_id\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_work_items_current_assignment_id",
                table: "work_items",
                column: "current_assignment_id",
                filter: "\"current_assignment_id\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_work_items_parent_id",
                table: "work_items",
                column: "parent_id",
                filter: "\"parent_id\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_work_items_sprint_status",
                table: "work_items",
                columns: new[] { "sprint_id", "status" },
                filter: "\"sprint_id\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ux_task_assignments_agent_idempotency_key",
                table: "task_assignments",
                columns: new[] { "agent_id", "idempotency_key" },
                unique: true,
                filter: "\"idempotency_key\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_agent_sessions_agent_id",
                table: "agent_sessions",
                column: "agent_id",
                filter: "\"agent_id\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_agent_sessions_backlog_id",
                table: "agent_sessions",
                column: "backlog_id",
                filter: "\"backlog_id\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_agent_sessions_parent_story_id",
                table: "agent_sessions",
                column: "parent_story_id",
                filter: "\"parent_story_id\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_agent_sessions_task_id",
                table: "agent_sessions",
                column: "task_id",
                filter: "\"task_id\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_work_items_assigned_agent",
                table: "work_items");

            migrationBuilder.DropIndex(
                name: "ix_work_items_assigned_agent_session",
                table: "work_items");

            migrationBuilder.DropIndex(
                name: "ix_work_items_created_from_backlog_id",
                table: "work_items");

            migrationBuilder.DropIndex(
                name: "ix_work_items_current_assignment_id",
                table: "work_items");

            migrationBuilder.DropIndex(
                name: "ix_work_items_parent_id",
                table: "work_items");

            migrationBuilder.DropIndex(
                name: "ix_work_items_sprint_status",
                table: "work_items");

            migrationBuilder.DropIndex(
                name: "ux_task_assignments_agent_idempotency_key",
                table: "task_assignments");

            migrationBuilder.DropIndex(
                name: "ix_agent_sessions_agent_id",
                table: "agent_sessions");

            migrationBuilder.DropIndex(
                name: "ix_agent_sessions_backlog_id",
                table: "agent_sessions");

            migrationBuilder.DropIndex(
                name: "ix_agent_sessions_parent_story_id",
                table: "agent_sessions");

            migrationBuilder.DropIndex(
                name: "ix_agent_sessions_task_id",
                table: "agent_sessions");

            migrationBuilder.CreateIndex(
                name: "ix_work_items_assigned_agent",
                table: "work_items",
                columns: new[] { "assigned_agent_id", "delegation_status" });

            migrationBuilder.CreateIndex(
                name: "ix_work_items_assigned_agent_session",
                table: "work_items",
                column: "assigned_agent_session");

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
                name: "ux_task_assignments_agent_idempotency_key",
                table: "task_assignments",
                columns: new[] { "agent_id", "idempotency_key" },
                unique: true);

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
                name: "ix_agent_sessions_task_id",
                table: "agent_sessions",
                column: "task_id");
        }
    }
}
