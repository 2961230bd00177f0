using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AgentOrchestration.Sample.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class EventFeedWriterHorizon : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateSequence(
                name: "orchestration_events_horizon");

            migrationBuilder.AlterColumn<ulong>(
                name: "transaction_id",
                table: "orchestration_events",
                type: "xid8",
                nullable: false,
                defaultValueSql: "(pg_notify('orchestration_events', '')::text || COALESCE(NULLIF(current_setting('agent_orchestration.event_key_3b3b73d1', true), ''), set_config('agent_orchestration.event_key_3b3b73d1', greatest(pg_current_xact_id(), COALESCE(pg_sequence_last_value(('\"orchestration_events_horizon\"' || pg_advisory_xact_lock_shared(1095714134, 993752017)::text)::regclass), 0)::text::xid8)::text, true)))::xid8",
                oldClrType: typeof(ulong),
                oldType: "xid8",
                oldDefaultValueSql: "(pg_notify('orchestration_events', '')::text || pg_current_xact_id()::text)::xid8");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropSequence(
                name: "orchestration_events_horizon");

            migrationBuilder.AlterColumn<ulong>(
                name: "transaction_id",
                table: "orchestration_events",
                type: "xid8",
                nullable: false,
                defaultValueSql: "(pg_notify('orchestration_events', '')::text || pg_current_xact_id()::text)::xid8",
                oldClrType: typeof(ulong),
                oldType: "xid8",
                oldDefaultValueSql: "(pg_notify('orchestration_events', '')::text || COALESCE(NULLIF(current_setting('agent_orchestration.event_key_3b3b73d1', true), ''), set_config('agent_orchestration.event_key_3b3b73d1', greatest(pg_current_xact_id(), COALESCE(pg_sequence_last_value(('\"orchestration_events_horizon\"' || pg_advisory_xact_lock_shared(1095714134, 993752017)::text)::regclass), 0)::text::xid8)::text, true)))::xid8");
        }
    }
}
