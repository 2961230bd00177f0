using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentOrchestration.Data.Configurations;

/// <summary>Maps <see cref="WorkItem"/> to <c>work_items</c>: the baseline columns, the delegation fields, and the story and task columns.</summary>
internal sealed class WorkItemConfiguration(SchemaNames names) : IEntityTypeConfiguration<WorkItem>
{
    public const string Table = "work_items";

    /// <summary>The key index of work items by project and status (unprefixed).</summary>
    public const string ProjectStatusIndex = "work_items_project_status";

    public void Configure(EntityTypeBuilder<WorkItem> builder)
    {
        builder.ToTable(names.Table(Table), names.Schema, t =>
        {
            t.HasCheckConstraint(names.Check(Table, "priority"), "\"priority\" BETWEEN 1 AND 5");
            t.HasCheckConstraint(names.Check(Table, "estimated_hours"), "\"estimated_hours\" IS NULL OR \"estimated_hours\" >= 0");
            t.HasCheckConstraint(names.Check(Table, "actual_hours"), "\"actual_hours\" IS NULL OR \"actual_hours\" >= 0");
            t.HasCheckConstraint(names.Check(Table, "parent_id"), "\"parent_id\" IS NULL OR \"parent_id\" <> \"id\"");
        });
        builder.HasKey(x => x.Id).HasName(names.PrimaryKey(Table));
        builder.Ignore(x => x.Tasks);

        builder.Property(x => x.Title).HasMaxLength(InputLimits.Title).IsRequired();
        builder.Property(x => x.Status).HasDefaultValue(WorkItemStatus.Todo);
        builder.Property(x => x.Priority).HasDefaultValue(3);
        builder.Property(x => x.DelegationStatus).HasDefaultValue(DelegationStatus.Unassigned);
        builder.Property(x => x.EstimatedHours).HasPrecision(InputLimits.HoursPrecision, InputLimits.HoursScale);
        builder.Property(x => x.ActualHours).HasPrecision(InputLimits.HoursPrecision, InputLimits.HoursScale);
        builder.Property(x => x.QaStatus).HasDefaultValue(QaStatus.NotStarted);
        builder.Property(x => x.SuccessCriteriaMet).HasDefaultValue(false);
        builder.Property(x => x.AssignedAgentSession).HasMaxLength(AgentSessionConfiguration.SessionIdLength);
        builder.Property(x => x.PrimeApproved).HasDefaultValue(false);
        builder.PrimitiveCollection(x => x.RequiredCapabilities);
        builder.ComplexProperty(x => x.DelegationContext, c => c.ToJson("delegation_context"));
        builder.ComplexCollection(x => x.DelegationHistory, c => c.ToJson("delegation_history"));

        builder.HasOne(x => x.Project).WithMany(p => p.WorkItems).HasForeignKey(x => x.ProjectId)
            .OnDelete(DeleteBehavior.Cascade).HasConstraintName(names.ForeignKey(Table, "project_id"));
        builder.HasOne(x => x.Sprint).WithMany(s => s.WorkItems).HasForeignKey(x => x.SprintId)
            .OnDelete(DeleteBehavior.SetNull).HasConstraintName(names.ForeignKey(Table, "sprint_id"));
        builder.HasOne(x => x.Parent).WithMany(p => p.Children).HasForeignKey(x => x.ParentId)
            .OnDelete(DeleteBehavior.Cascade).HasConstraintName(names.ForeignKey(Table, "parent_id"));
        builder.HasOne(x => x.CreatedFromBacklog).WithMany(b => b.Stories).HasForeignKey(x => x.CreatedFromBacklogId)
            .OnDelete(DeleteBehavior.SetNull).HasConstraintName(names.ForeignKey(Table, "created_from_backlog_id"));
        builder.HasOne<AgentSession>().WithMany().HasForeignKey(x => x.AssignedAgentSession).HasPrincipalKey(s => s.SessionId)
            .OnDelete(DeleteBehavior.SetNull).HasConstraintName(names.ForeignKey(Table, "assigned_agent_session"));

        // An agent with assignments can only be archived, never deleted.
        builder.HasOne(x => x.AssignedAgent).WithMany().HasForeignKey(x => x.AssignedAgentId)
            .OnDelete(DeleteBehavior.Restrict).HasConstraintName(names.ForeignKey(Table, "assigned_agent_id"));
        builder.HasOne(x => x.CurrentAssignment).WithMany().HasForeignKey(x => x.CurrentAssignmentId)
            .OnDelete(DeleteBehavior.SetNull).HasConstraintName(names.ForeignKey(Table, "current_assignment_id"));

        // The key indexes of the schema (see docs/schema.md, Indexes).
        builder.HasIndex(x => new { x.AssigneeType, x.AssigneeId }).HasDatabaseName(names.Index("work_items_assignee"));
        builder.HasIndex(x => x.DelegationStatus).HasDatabaseName(names.Index("work_items_delegation_status"));

        // Work items by project and status, covering the dashboard's work by status (the counts and hours per status and
        // delegation status), which then reads only the index. The hours trail the key here (SQLite has no INCLUDE);
        // PostgreSQL moves them to INCLUDE (its provider's ConfigureModel). Claims change status and delegation status,
        // so the wider index costs them no extra index write.
        builder.HasIndex(x => new { x.ProjectId, x.Status, x.DelegationStatus, x.EstimatedHours, x.ActualHours })
            .HasDatabaseName(names.Index(ProjectStatusIndex));

        // Claim-next scans a project's unassigned items in priority order.
        // The indexes on nullable foreign keys and on the holder hold only rows with a value (IndexFilters.NotNull): every
        // claim and completion rewrites the item in all its indexes, and most items have no sprint, parent or session.
        builder.HasIndex(x => new { x.ProjectId, x.DelegationStatus, x.Priority, x.CreatedAt }).HasDatabaseName(names.Index("ix_work_items_claim"));
        builder.HasIndex(x => new { x.SprintId, x.Status }).HasFilter(IndexFilters.NotNull("sprint_id")).HasDatabaseName(names.Index("ix_work_items_sprint_status"));
        builder.HasIndex(x => x.ParentId).HasFilter(IndexFilters.NotNull("parent_id")).HasDatabaseName(names.Index("ix_work_items_parent_id"));
        builder.HasIndex(x => x.CreatedFromBacklogId).HasFilter(IndexFilters.NotNull("created_from_backlog_id")).HasDatabaseName(names.Index("ix_work_items_created_from_backlog_id"));
        builder.HasIndex(x => x.AssignedAgentSession).HasFilter(IndexFilters.NotNull("assigned_agent_session")).HasDatabaseName(names.Index("ix_work_items_assigned_agent_session"));
        builder.HasIndex(x => new { x.AssignedAgentId, x.DelegationStatus }).HasFilter(IndexFilters.NotNull("assigned_agent_id")).HasDatabaseName(names.Index("ix_work_items_assigned_agent"));
        builder.HasIndex(x => x.CurrentAssignmentId).HasFilter(IndexFilters.NotNull("current_assignment_id")).HasDatabaseName(names.Index("ix_work_items_current_assignment_id"));
        builder.HasIndex(x => new { x.Status, x.UpdatedAt }).HasDatabaseName(names.Index("ix_work_items_status_updated_at"));
    }
}
