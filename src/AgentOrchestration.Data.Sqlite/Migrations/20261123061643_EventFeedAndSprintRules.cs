using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AgentOrchestration.Data.Sqlite.Migrations
{
    /// <inheritdoc />
    internal partial class EventFeedAndSprintRules : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ux_sprints_project_active",
                table: "sprints",
                column: "project_id",
                unique: true,
                filter: "status = 'active'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ux_sprints_project_active",
                table: "sprints");
        }
    }
}
