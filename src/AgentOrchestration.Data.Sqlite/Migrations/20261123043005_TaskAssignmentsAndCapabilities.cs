using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AgentOrchestration.Data.Sqlite.Migrations
{
    /// <inheritdoc />
    internal partial class TaskAssignmentsAndCapabilities : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
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
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    context = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_task_assignments", x => x.id);
                    table.CheckConstraint("ck_task_assignments_status", "\"status\" IN ('assigned', 'started', 'paused', 'completed', 'cancelled')");
                    table.ForeignKey(
                        name: "fk_task_assignments_agent_id",
                        column: x => x.agent_id,
                        principalTable: "agent_profiles",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_task_assignments_work_item_id",
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
                name: "ix_task_assignments_agent_id",
                table: "task_assignments",
                column: "agent_id");

            migrationBuilder.CreateIndex(
                name: "ix_task_assignments_work_item_id",
                table: "task_assignments",
                column: "work_item_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "agent_capabilities");

            migrationBuilder.DropTable(
                name: "task_assignments");
        }
    }
}
