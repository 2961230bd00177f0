using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AgentOrchestration.Sample.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class ActiveLeaseIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_task_assignments_lease",
                table: "task_assignments");

            migrationBuilder.CreateIndex(
                name: "ix_task_assignments_active_lease",
                table: "task_assignments",
                column: "lease_expires_at",
                filter: "\"status\" IN ('assigned', 'started', 'paused')");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_task_assignments_active_lease",
                table: "task_assignments");

            migrationBuilder.CreateIndex(
                name: "ix_task_assignments_lease",
                table: "task_assignments",
                columns: new[] { "status", "lease_expires_at" });
        }
    }
}
