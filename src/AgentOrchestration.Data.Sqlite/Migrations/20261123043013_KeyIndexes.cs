using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AgentOrchestration.Data.Sqlite.Migrations
{
    /// <inheritdoc />
    internal partial class KeyIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_work_items_project_id",
                table: "work_items");

            migrationBuilder.RenameIndex(
                name: "ix_task_assignments_work_item_id",
                table: "task_assignments",
                newName: "task_assignments_work_item");

            migrationBuilder.RenameIndex(
                name: "ix_task_assignments_agent_id",
                table: "task_assignments",
                newName: "task_assignments_agent");

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

            migrationBuilder.CreateIndex(
                name: "task_assignments_assigned_at",
                table: "task_assignments",
                column: "assigned_at");

            migrationBuilder.CreateIndex(
                name: "task_assignments_status",
                table: "task_assignments",
                column: "status");

            migrationBuilder.CreateIndex(
                name: "agent_profiles_type_status",
                table: "agent_profiles",
                columns: new[] { "type", "status" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "work_items_assignee",
                table: "work_items");

            migrationBuilder.DropIndex(
                name: "work_items_delegation_status",
                table: "work_items");

            migrationBuilder.DropIndex(
                name: "work_items_project_status",
                table: "work_items");

            migrationBuilder.DropIndex(
                name: "task_assignments_assigned_at",
                table: "task_assignments");

            migrationBuilder.DropIndex(
                name: "task_assignments_status",
                table: "task_assignments");

            migrationBuilder.DropIndex(
                name: "agent_profiles_type_status",
                table: "agent_profiles");

            migrationBuilder.RenameIndex(
                name: "task_assignments_work_item",
                table: "task_assignments",
                newName: "ix_task_assignments_work_item_id");

            migrationBuilder.RenameIndex(
                name: "task_assignments_agent",
                table: "task_assignments",
                newName: "ix_task_assignments_agent_id");

            migrationBuilder.CreateIndex(
                name: "ix_work_items_project_id",
                table: "work_items",
                column: "project_id");
        }
    }
}
