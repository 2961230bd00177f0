using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AgentOrchestration.Data.PostgreSql.Migrations
{
    /// <inheritdoc />
    internal partial class EventFeedAndSprintRules : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<ulong>(
                name: "transaction_id",
                table: "orchestration_events",
                type: "xid8",
                nullable: false,
                defaultValueSql: "(pg_notify('orchestration_events', '')::text || pg_current_xact_id()::text)::xid8");

            migrationBuilder.CreateIndex(
                name: "ux_sprints_project_active",
                table: "sprints",
                column: "project_id",
                unique: true,
                filter: "status = 'active'");

            migrationBuilder.CreateIndex(
                name: "ix_orchestration_events_transaction_sequence",
                table: "orchestration_events",
                columns: new[] { "transaction_id", "sequence" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ux_sprints_project_active",
                table: "sprints");

            migrationBuilder.DropIndex(
                name: "ix_orchestration_events_transaction_sequence",
                table: "orchestration_events");

            migrationBuilder.DropColumn(
                name: "transaction_id",
                table: "orchestration_events");
        }
    }
}
