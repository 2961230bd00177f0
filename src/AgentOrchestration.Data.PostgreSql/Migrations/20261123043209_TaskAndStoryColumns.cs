using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AgentOrchestration.Data.PostgreSql.Migrations
{
    /// <inheritdoc />
    internal partial class TaskAndStoryColumns : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_work_items_backlog_item_id",
                table: "work_items");

            migrationBuilder.RenameColumn(
                name: "backlog_item_id",
                table: "work_items",
                newName: "created_from_backlog_id");

            migrationBuilder.RenameIndex(
                name: "ix_work_items_backlog_item_id",
                table: "work_items",
                newName: "ix_work_items_created_from_backlog_id");

            migrationBuilder.AddColumn<bool>(
                name: "prime_approved",
                table: "work_items",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "qa_status",
                table: "work_items",
                type: "character varying(32)",
                maxLength: 32,
                nullable: false,
                defaultValue: "not_started");

            migrationBuilder.AddColumn<bool>(
                name: "success_criteria_met",
                table: "work_items",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddCheckConstraint(
                name: "ck_work_items_qa_status",
                table: "work_items",
                sql: "\"qa_status\" IN ('not_started', 'in_qa', 'qa_passed', 'qa_failed')");

            migrationBuilder.AddForeignKey(
                name: "fk_work_items_created_from_backlog_id",
                table: "work_items",
                column: "created_from_backlog_id",
                principalTable: "backlog",
                principalColumn: "id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_work_items_created_from_backlog_id",
                table: "work_items");

            migrationBuilder.DropCheckConstraint(
                name: "ck_work_items_qa_status",
                table: "work_items");

            migrationBuilder.DropColumn(
                name: "prime_approved",
                table: "work_items");

            migrationBuilder.DropColumn(
                name: "qa_status",
                table: "work_items");

            migrationBuilder.DropColumn(
                name: "success_criteria_met",
                table: "work_items");

            migrationBuilder.RenameColumn(
                name: "created_from_backlog_id",
                table: "work_items",
                newName: "backlog_item_id");

            migrationBuilder.RenameIndex(
                name: "ix_work_items_created_from_backlog_id",
                table: "work_items",
                newName: "ix_work_items_backlog_item_id");

            migrationBuilder.AddForeignKey(
                name: "fk_work_items_backlog_item_id",
                table: "work_items",
                column: "backlog_item_id",
                principalTable: "backlog",
                principalColumn: "id");
        }
    }
}
