using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AgentOrchestration.Data.Sqlite.Migrations
{
    /// <inheritdoc />
    internal partial class LibraryAdditions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "assigned_agent_id",
                table: "work_items",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "current_assignment_id",
                table: "work_items",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "required_capabilities",
                table: "work_items",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "fencing_token",
                table: "task_assignments",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<DateTime>(
                name: "lease_expires_at",
                table: "task_assignments",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "max_concurrent_tasks",
                table: "agent_profiles",
                type: "INTEGER",
                nullable: false,
                defaultValue: 1);

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
                name: "ix_work_items_assigned_agent",
                table: "work_items",
                columns: new[] { "assigned_agent_id", "delegation_status" });

            migrationBuilder.CreateIndex(
                name: "ix_work_items_claim",
                table: "work_items",
                columns: new[] { "project_id", "delegation_status", "priority", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_work_items_current_assignment_id",
                table: "work_items",
                column: "current_assignment_id");

            migrationBuilder.CreateIndex(
                name: "ix_work_items_status_updated_at",
                table: "work_items",
                columns: new[] { "status", "updated_at" });

            migrationBuilder.CreateIndex(
                name: "ix_task_assignments_agent_status",
                table: "task_assignments",
                columns: new[] { "agent_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ix_task_assignments_lease",
                table: "task_assignments",
                columns: new[] { "status", "lease_expires_at" });

            migrationBuilder.AddCheckConstraint(
                name: "ck_task_assignments_fencing_token",
                table: "task_assignments",
                sql: "\"fencing_token\" >= 0");

            migrationBuilder.AddCheckConstraint(
                name: "ck_agent_profiles_max_concurrent_tasks",
                table: "agent_profiles",
                sql: "\"max_concurrent_tasks\" >= 1");

            migrationBuilder.CreateIndex(
                name: "ix_orchestration_events_entity",
                table: "orchestration_events",
                columns: new[] { "entity_type", "entity_id" });

            migrationBuilder.CreateIndex(
                name: "ix_orchestration_events_project_sequence",
                table: "orchestration_events",
                columns: new[] { "project_id", "sequence" });

            migrationBuilder.CreateIndex(
                name: "ix_work_item_dependencies_depends_on_id",
                table: "work_item_dependencies",
                column: "depends_on_id");

            migrationBuilder.AddForeignKey(
                name: "fk_work_items_assigned_agent_id",
                table: "work_items",
                column: "assigned_agent_id",
                principalTable: "agent_profiles",
                principalColumn: "id",
                onDelete: ReferentialAction.Restrict);

            migrationBuilder.AddForeignKey(
                name: "fk_work_items_current_assignment_id",
                table: "work_items",
                column: "current_assignment_id",
                principalTable: "task_assignments",
                principalColumn: "id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_work_items_assigned_agent_id",
                table: "work_items");

            migrationBuilder.DropForeignKey(
                name: "fk_work_items_current_assignment_id",
                table: "work_items");

            migrationBuilder.DropTable(
                name: "orchestration_events");

            migrationBuilder.DropTable(
                name: "work_item_dependencies");

            migrationBuilder.DropIndex(
                name: "ix_work_items_assigned_agent",
                table: "work_items");

            migrationBuilder.DropIndex(
                name: "ix_work_items_claim",
                table: "work_items");

            migrationBuilder.DropIndex(
                name: "ix_work_items_current_assignment_id",
                table: "work_items");

            migrationBuilder.DropIndex(
                name: "ix_work_items_status_updated_at",
                table: "work_items");

            migrationBuilder.DropIndex(
                name: "ix_task_assignments_agent_status",
                table: "task_assignments");

            migrationBuilder.DropIndex(
                name: "ix_task_assignments_lease",
                table: "task_assignments");

            migrationBuilder.DropCheckConstraint(
                name: "ck_task_assignments_fencing_token",
                table: "task_assignments");

            migrationBuilder.DropCheckConstraint(
                name: "ck_agent_profiles_max_concurrent_tasks",
                table: "agent_profiles");

            migrationBuilder.DropColumn(
                name: "assigned_agent_id",
                table: "work_items");

            migrationBuilder.DropColumn(
                name: "current_assignment_id",
                table: "work_items");

            migrationBuilder.DropColumn(
                name: "required_capabilities",
                table: "work_items");

            migrationBuilder.DropColumn(
                name: "fencing_token",
                table: "task_assignments");

            migrationBuilder.DropColumn(
                name: "lease_expires_at",
                table: "task_assignments");

            migrationBuilder.DropColumn(
                name: "max_concurrent_tasks",
                table: "agent_profiles");
        }
    }
}
