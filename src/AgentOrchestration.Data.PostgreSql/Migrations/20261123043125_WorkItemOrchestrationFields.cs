using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AgentOrchestration.Data.PostgreSql.Migrations
{
    /// <inheritdoc />
    internal partial class WorkItemOrchestrationFields : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<decimal>(
                name: "actual_hours",
                table: "work_items",
                type: "numeric(8,2)",
                precision: 8,
                scale: 2,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "delegation_context",
                table: "work_items",
                type: "jsonb",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "delegation_history",
                table: "work_items",
                type: "jsonb",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "delegation_status",
                table: "work_items",
                type: "character varying(32)",
                maxLength: 32,
                nullable: false,
                defaultValue: "unassigned");

            migrationBuilder.AddColumn<decimal>(
                name: "estimated_hours",
                table: "work_items",
                type: "numeric(8,2)",
                precision: 8,
                scale: 2,
                nullable: true);

            migrationBuilder.AddCheckConstraint(
                name: "ck_work_items_actual_hours",
                table: "work_items",
                sql: "\"actual_hours\" IS NULL OR \"actual_hours\" >= 0");

            migrationBuilder.AddCheckConstraint(
                name: "ck_work_items_delegation_status",
                table: "work_items",
                sql: "\"delegation_status\" IN ('unassigned', 'assigned', 'in_progress', 'blocked', 'completed')");

            migrationBuilder.AddCheckConstraint(
                name: "ck_work_items_estimated_hours",
                table: "work_items",
                sql: "\"estimated_hours\" IS NULL OR \"estimated_hours\" >= 0");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "ck_work_items_actual_hours",
                table: "work_items");

            migrationBuilder.DropCheckConstraint(
                name: "ck_work_items_delegation_status",
                table: "work_items");

            migrationBuilder.DropCheckConstraint(
                name: "ck_work_items_estimated_hours",
                table: "work_items");

            migrationBuilder.DropColumn(
                name: "actual_hours",
                table: "work_items");

            migrationBuilder.DropColumn(
                name: "delegation_context",
                table: "work_items");

            migrationBuilder.DropColumn(
                name: "delegation_history",
                table: "work_items");

            migrationBuilder.DropColumn(
                name: "delegation_status",
                table: "work_items");

            migrationBuilder.DropColumn(
                name: "estimated_hours",
                table: "work_items");
        }
    }
}
