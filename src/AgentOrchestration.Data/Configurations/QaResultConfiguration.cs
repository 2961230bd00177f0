using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentOrchestration.Data.Configurations;

/// <summary>Maps <see cref="QaResult"/> to <c>qa_results</c>.</summary>
internal sealed class QaResultConfiguration(SchemaNames names) : IEntityTypeConfiguration<QaResult>
{
    public const string Table = "qa_results";

    public void Configure(EntityTypeBuilder<QaResult> builder)
    {
        builder.ToTable(names.Table(Table), names.Schema);
        builder.HasKey(x => x.Id).HasName(names.PrimaryKey(Table));

        builder.Property(x => x.AgentSessionId).HasMaxLength(AgentSessionConfiguration.SessionIdLength).IsRequired();
        builder.Property(x => x.SuccessCriteriaMet).HasDefaultValue(false);
        builder.Property(x => x.RecordedAt).HasColumnName("timestamp").HasDefaultValueSql("CURRENT_TIMESTAMP");
        builder.ComplexCollection(x => x.Findings, c => c.ToJson("findings"));
        builder.ComplexCollection(x => x.MockViolations, c => c.ToJson("mock_violations"));

        builder.HasOne(x => x.Task).WithMany(t => t.QaResults).HasForeignKey(x => x.TaskId)
            .OnDelete(DeleteBehavior.Cascade).HasConstraintName(names.ForeignKey(Table, "task_id"));
        builder.HasOne(x => x.Project).WithMany().HasForeignKey(x => x.ProjectId)
            .OnDelete(DeleteBehavior.Cascade).HasConstraintName(names.ForeignKey(Table, "project_id"));
        builder.HasOne(x => x.Session).WithMany(s => s.QaResults).HasForeignKey(x => x.AgentSessionId).HasPrincipalKey(s => s.SessionId)
            .OnDelete(DeleteBehavior.Cascade).HasConstraintName(names.ForeignKey(Table, "agent_session_id"));

        // The QA gate reads the latest result of each type for a task.
        builder.HasIndex(x => new { x.TaskId, x.QaType, x.RecordedAt }).HasDatabaseName(names.Index("ix_qa_results_task_type_timestamp"));
        // The dashboard's QA pass rates per project: an ordered, index-only scan of the project's results by type.
        builder.HasIndex(x => new { x.ProjectId, x.QaType, x.Status }).HasDatabaseName(names.Index("ix_qa_results_project_type_status"));
        builder.HasIndex(x => x.AgentSessionId).HasDatabaseName(names.Index("ix_qa_results_agent_session_id"));
    }
}
