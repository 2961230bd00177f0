using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AgentOrchestration.Sample.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class QaResultProjectAndCoveringIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "work_items_project_status",
                table: "work_items");

            migrationBuilder.AddColumn<Guid>(
                name: "project_id",
                table: "qa_results",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000000"));

            // Added by hand (EF cannot know it): existing results take their task's project before the foreign key is checked.
            migrationBuilder.Sql("UPDATE qa_results SET project_id = (SELECT w.project_id FROM work_items w WHERE w.id = qa_results.task_id);");

            migrationBuilder.CreateIndex(
                name: "work_items_project_status",
                table: "work_items",
                columns: new[] { "project_id", "status", "delegation_status" })
                .Annotation("Npgsql:IndexInclude", new[] { "estimated_hours", "actual_hours" });

            migrationBuilder.CreateIndex(
                name: "ix_qa_results_project_type_status",
                table: "qa_results",
                columns: new[] { "project_id", "qa_type", "status" });

            migrationBuilder.AddForeignKey(
                name: "fk_qa_results_project_id",
                table: "qa_results",
                column: "project_id",
                principalTable: "projects",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_qa_results_project_id",
                table: "qa_results");

            migrationBuilder.DropIndex(
                name: "work_items_project_status",
                table: "work_items");

            migrationBuilder.DropIndex(
                name: "ix_qa_results_project_type_status",
                table: "qa_results");

            migrationBuilder.DropColumn(
                name: "project_id",
                table: "qa_results");

            migrationBuilder.CreateIndex(
                name: "work_items_project_status",
                table: "work_items",
                columns: new[] { "project_id", "status" });
        }
    }
}
