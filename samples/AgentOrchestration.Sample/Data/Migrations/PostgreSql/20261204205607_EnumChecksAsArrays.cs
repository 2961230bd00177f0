using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AgentOrchestration.Sample.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class EnumChecksAsArrays : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "ck_work_items_assignee_type",
                table: "work_items");

            migrationBuilder.DropCheckConstraint(
                name: "ck_work_items_delegation_status",
                table: "work_items");

            migrationBuilder.DropCheckConstraint(
                name: "ck_work_items_qa_status",
                table: "work_items");

            migrationBuilder.DropCheckConstraint(
                name: "ck_work_items_status",
                table: "work_items");

            migrationBuilder.DropCheckConstraint(
                name: "ck_work_items_type",
                table: "work_items");

            migrationBuilder.DropCheckConstraint(
                name: "ck_task_assignments_status",
                table: "task_assignments");

            migrationBuilder.DropCheckConstraint(
                name: "ck_sprints_status",
                table: "sprints");

            migrationBuilder.DropCheckConstraint(
                name: "ck_qa_results_qa_type",
                table: "qa_results");

            migrationBuilder.DropCheckConstraint(
                name: "ck_qa_results_status",
                table: "qa_results");

            migrationBuilder.DropCheckConstraint(
                name: "ck_file_locks_lock_type",
                table: "file_locks");

            migrationBuilder.DropCheckConstraint(
                name: "ck_backlog_estimated_complexity",
                table: "backlog");

            migrationBuilder.DropCheckConstraint(
                name: "ck_backlog_status",
                table: "backlog");

            migrationBuilder.DropCheckConstraint(
                name: "ck_agent_sessions_agent_type",
                table: "agent_sessions");

            migrationBuilder.DropCheckConstraint(
                name: "ck_agent_sessions_oversight_level",
                table: "agent_sessions");

            migrationBuilder.DropCheckConstraint(
                name: "ck_agent_sessions_status",
                table: "agent_sessions");

            migrationBuilder.DropCheckConstraint(
                name: "ck_agent_profiles_status",
                table: "agent_profiles");

            migrationBuilder.AddCheckConstraint(
                name: "ck_work_items_assignee_type",
                table: "work_items",
                sql: "\"assignee_type\"::text = ANY ('{\"agent\",\"user\"}'::text[])");

            migrationBuilder.AddCheckConstraint(
                name: "ck_work_items_delegation_status",
                table: "work_items",
                sql: "\"delegation_status\"::text = ANY ('{\"unassigned\",\"assigned\",\"in_progress\",\"blocked\",\"completed\"}'::text[])");

            migrationBuilder.AddCheckConstraint(
                name: "ck_work_items_qa_status",
                table: "work_items",
                sql: "\"qa_status\"::text = ANY ('{\"not_started\",\"in_qa\",\"qa_passed\",\"qa_failed\"}'::text[])");

            migrationBuilder.AddCheckConstraint(
                name: "ck_work_items_status",
                table: "work_items",
                sql: "\"status\"::text = ANY ('{\"todo\",\"in_progress\",\"blocked\",\"in_review\",\"done\",\"cancelled\"}'::text[])");

            migrationBuilder.AddCheckConstraint(
                name: "ck_work_items_type",
                table: "work_items",
                sql: "\"type\"::text = ANY ('{\"epic\",\"story\",\"task\",\"bug\"}'::text[])");

            migrationBuilder.AddCheckConstraint(
                name: "ck_task_assignments_status",
                table: "task_assignments",
                sql: "\"status\"::text = ANY ('{\"assigned\",\"started\",\"paused\",\"completed\",\"cancelled\"}'::text[])");

            migrationBuilder.AddCheckConstraint(
                name: "ck_sprints_status",
                table: "sprints",
                sql: "\"status\"::text = ANY ('{\"planned\",\"active\",\"completed\"}'::text[])");

            migrationBuilder.AddCheckConstraint(
                name: "ck_qa_results_qa_type",
                table: "qa_results",
                sql: "\"qa_type\"::text = ANY ('{\"code_review\",\"functional_test\",\"mock_detection\",\"success_criteria\"}'::text[])");

            migrationBuilder.AddCheckConstraint(
                name: "ck_qa_results_status",
                table: "qa_results",
                sql: "\"status\"::text = ANY ('{\"pass\",\"fail\",\"warning\"}'::text[])");

            migrationBuilder.AddCheckConstraint(
                name: "ck_file_locks_lock_type",
                table: "file_locks",
                sql: "\"lock_type\"::text = ANY ('{\"exclusive\",\"shared\"}'::text[])");

            migrationBuilder.AddCheckConstraint(
                name: "ck_backlog_estimated_complexity",
                table: "backlog",
                sql: "\"estimated_complexity\"::text = ANY ('{\"simple\",\"moderate\",\"complex\",\"high_risk\"}'::text[])");

            migrationBuilder.AddCheckConstraint(
                name: "ck_backlog_status",
                table: "backlog",
                sql: "\"status\"::text = ANY ('{\"backlog\",\"analyzing\",\"ready\",\"blocked\"}'::text[])");

            migrationBuilder.AddCheckConstraint(
                name: "ck_agent_sessions_agent_type",
                table: "agent_sessions",
                sql: "\"agent_type\"::text = ANY ('{\"prime\",\"architecture\",\"implementation\",\"testing\",\"security\",\"integration\",\"qa\"}'::text[])");

            migrationBuilder.AddCheckConstraint(
                name: "ck_agent_sessions_oversight_level",
                table: "agent_sessions",
                sql: "\"oversight_level\"::text = ANY ('{\"standard\",\"enhanced\",\"strict\",\"direct\"}'::text[])");

            migrationBuilder.AddCheckConstraint(
                name: "ck_agent_sessions_status",
                table: "agent_sessions",
                sql: "\"status\"::text = ANY ('{\"active\",\"paused\",\"completed\",\"failed\",\"halted\"}'::text[])");

            migrationBuilder.AddCheckConstraint(
                name: "ck_agent_profiles_status",
                table: "agent_profiles",
                sql: "\"status\"::text = ANY ('{\"active\",\"inactive\",\"archived\"}'::text[])");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "ck_work_items_assignee_type",
                table: "work_items");

            migrationBuilder.DropCheckConstraint(
                name: "ck_work_items_delegation_status",
                table: "work_items");

            migrationBuilder.DropCheckConstraint(
                name: "ck_work_items_qa_status",
                table: "work_items");

            migrationBuilder.DropCheckConstraint(
                name: "ck_work_items_status",
                table: "work_items");

            migrationBuilder.DropCheckConstraint(
                name: "ck_work_items_type",
                table: "work_items");

            migrationBuilder.DropCheckConstraint(
                name: "ck_task_assignments_status",
                table: "task_assignments");

            migrationBuilder.DropCheckConstraint(
                name: "ck_sprints_status",
                table: "sprints");

            migrationBuilder.DropCheckConstraint(
                name: "ck_qa_results_qa_type",
                table: "qa_results");

            migrationBuilder.DropCheckConstraint(
                name: "ck_qa_results_status",
                table: "qa_results");

            migrationBuilder.DropCheckConstraint(
                name: "ck_file_locks_lock_type",
                table: "file_locks");

            migrationBuilder.DropCheckConstraint(
                name: "ck_backlog_estimated_complexity",
                table: "backlog");

            migrationBuilder.DropCheckConstraint(
                name: "ck_backlog_status",
                table: "backlog");

            migrationBuilder.DropCheckConstraint(
                name: "ck_agent_sessions_agent_type",
                table: "agent_sessions");

            migrationBuilder.DropCheckConstraint(
                name: "ck_agent_sessions_oversight_level",
                table: "agent_sessions");

            migrationBuilder.DropCheckConstraint(
                name: "ck_agent_sessions_status",
                table: "agent_sessions");

            migrationBuilder.DropCheckConstraint(
                name: "ck_agent_profiles_status",
                table: "agent_profiles");

            migrationBuilder.AddCheckConstraint(
                name: "ck_work_items_assignee_type",
                table: "work_items",
                sql: "\"assignee_type\" IN ('agent', 'user')");

            migrationBuilder.AddCheckConstraint(
                name: "ck_work_items_delegation_status",
                table: "work_items",
                sql: "\"delegation_status\" IN ('unassigned', 'assigned', 'in_progress', 'blocked', 'completed')");

            migrationBuilder.AddCheckConstraint(
                name: "ck_work_items_qa_status",
                table: "work_items",
                sql: "\"qa_status\" IN ('not_started', 'in_qa', 'qa_passed', 'qa_failed')");

            migrationBuilder.AddCheckConstraint(
                name: "ck_work_items_status",
                table: "work_items",
                sql: "\"status\" IN ('todo', 'in_progress', 'blocked', 'in_review', 'done', 'cancelled')");

            migrationBuilder.AddCheckConstraint(
                name: "ck_work_items_type",
                table: "work_items",
                sql: "\"type\" IN ('epic', 'story', 'task', 'bug')");

            migrationBuilder.AddCheckConstraint(
                name: "ck_task_assignments_status",
                table: "task_assignments",
                sql: "\"status\" IN ('assigned', 'started', 'paused', 'completed', 'cancelled')");

            migrationBuilder.AddCheckConstraint(
                name: "ck_sprints_status",
                table: "sprints",
                sql: "\"status\" IN ('planned', 'active', 'completed')");

            migrationBuilder.AddCheckConstraint(
                name: "ck_qa_results_qa_type",
                table: "qa_results",
                sql: "\"qa_type\" IN ('code_review', 'functional_test', 'mock_detection', 'success_criteria')");

            migrationBuilder.AddCheckConstraint(
                name: "ck_qa_results_status",
                table: "qa_results",
                sql: "\"status\" IN ('pass', 'fail', 'warning')");

            migrationBuilder.AddCheckConstraint(
                name: "ck_file_locks_lock_type",
                table: "file_locks",
                sql: "\"lock_type\" IN ('exclusive', 'shared')");

            migrationBuilder.AddCheckConstraint(
                name: "ck_backlog_estimated_complexity",
                table: "backlog",
                sql: "\"estimated_complexity\" IN ('simple', 'moderate', 'complex', 'high_risk')");

            migrationBuilder.AddCheckConstraint(
                name: "ck_backlog_status",
                table: "backlog",
                sql: "\"status\" IN ('backlog', 'analyzing', 'ready', 'blocked')");

            migrationBuilder.AddCheckConstraint(
                name: "ck_agent_sessions_agent_type",
                table: "agent_sessions",
                sql: "\"agent_type\" IN ('prime', 'architecture', 'implementation', 'testing', 'security', 'integration', 'qa')");

            migrationBuilder.AddCheckConstraint(
                name: "ck_agent_sessions_oversight_level",
                table: "agent_sessions",
                sql: "\"oversight_level\" IN ('standard', 'enhanced', 'strict', 'direct')");

            migrationBuilder.AddCheckConstraint(
                name: "ck_agent_sessions_status",
                table: "agent_sessions",
                sql: "\"status\" IN ('active', 'paused', 'completed', 'failed', 'halted')");

            migrationBuilder.AddCheckConstraint(
                name: "ck_agent_profiles_status",
                table: "agent_profiles",
                sql: "\"status\" IN ('active', 'inactive', 'archived')");
        }
    }
}
