using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentOrchestration.Data.Configurations;

/// <summary>Maps <see cref="AgentSession"/> to <c>agent_sessions</c> with its project, agent and heartbeat.</summary>
internal sealed class AgentSessionConfiguration(SchemaNames names) : IEntityTypeConfiguration<AgentSession>
{
    public const string Table = "agent_sessions";

    public const int SessionIdLength = InputLimits.SessionId;

    public void Configure(EntityTypeBuilder<AgentSession> builder)
    {
        builder.ToTable(names.Table(Table), names.Schema,
            t => t.HasCheckConstraint(names.Check(Table, "session_id"), "length(\"session_id\") > 0"));
        builder.HasKey(x => x.Id).HasName(names.PrimaryKey(Table));
        builder.HasAlternateKey(x => x.SessionId).HasName(names.Index("ux_agent_sessions_session_id"));

        builder.Property(x => x.SessionId).HasMaxLength(SessionIdLength).IsRequired();
        builder.Property(x => x.Status).HasDefaultValue(SessionStatus.Active);
        builder.Property(x => x.StartTime).HasDefaultValueSql("CURRENT_TIMESTAMP");
        builder.Property(x => x.RiskLevel).HasDefaultValue(0);
        builder.Property(x => x.OversightLevel).HasDefaultValue(OversightLevel.Standard);
        builder.ComplexCollection(x => x.FileLocks, c => c.ToJson("file_locks"));

        builder.HasOne(x => x.Project).WithMany().HasForeignKey(x => x.ProjectId)
            .OnDelete(DeleteBehavior.Cascade).HasConstraintName(names.ForeignKey(Table, "project_id"));
        builder.HasOne(x => x.Agent).WithMany().HasForeignKey(x => x.AgentId)
            .OnDelete(DeleteBehavior.SetNull).HasConstraintName(names.ForeignKey(Table, "agent_id"));

        // The parent story cascades; the backlog item and task are set null.
        builder.HasOne(x => x.ParentStory).WithMany().HasForeignKey(x => x.ParentStoryId)
            .OnDelete(DeleteBehavior.Cascade).HasConstraintName(names.ForeignKey(Table, "parent_story_id"));
        builder.HasOne(x => x.Backlog).WithMany().HasForeignKey(x => x.BacklogId)
            .OnDelete(DeleteBehavior.SetNull).HasConstraintName(names.ForeignKey(Table, "backlog_id"));
        builder.HasOne(x => x.Task).WithMany().HasForeignKey(x => x.TaskId)
            .OnDelete(DeleteBehavior.SetNull).HasConstraintName(names.ForeignKey(Table, "task_id"));

        // The reaper looks for active sessions with an old heartbeat; dashboards list a project's active sessions.
        builder.HasIndex(x => new { x.Status, x.LastHeartbeatAt }).HasDatabaseName(names.Index("ix_agent_sessions_status_heartbeat"));
        builder.HasIndex(x => new { x.ProjectId, x.Status }).HasDatabaseName(names.Index("ix_agent_sessions_project_status"));
        // Heartbeats rewrite the session in all its indexes; the nullable keys' ones hold only rows with a value.
        builder.HasIndex(x => x.AgentId).HasFilter(IndexFilters.NotNull("agent_id")).HasDatabaseName(names.Index("ix_agent_sessions_agent_id"));
        builder.HasIndex(x => x.ParentStoryId).HasFilter(IndexFilters.NotNull("parent_story_id")).HasDatabaseName(names.Index("ix_agent_sessions_parent_story_id"));
        builder.HasIndex(x => x.BacklogId).HasFilter(IndexFilters.NotNull("backlog_id")).HasDatabaseName(names.Index("ix_agent_sessions_backlog_id"));
        builder.HasIndex(x => x.TaskId).HasFilter(IndexFilters.NotNull("task_id")).HasDatabaseName(names.Index("ix_agent_sessions_task_id"));
    }
}
