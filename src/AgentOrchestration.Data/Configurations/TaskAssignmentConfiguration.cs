using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentOrchestration.Data.Configurations;

/// <summary>Maps <see cref="TaskAssignment"/> to <c>task_assignments</c> with the library's lease columns.</summary>
internal sealed class TaskAssignmentConfiguration(SchemaNames names) : IEntityTypeConfiguration<TaskAssignment>
{
    public const string Table = "task_assignments";

    public const int IdempotencyKeyLength = 200;

    /// <summary>The predicate of <c>ix_task_assignments_active_lease</c>: the assignment still holds its item.</summary>
    internal static readonly string ActiveLeaseFilter = $"\"status\" IN {ReadyWorkRule.Sql.ActiveAssignmentList}";

    public void Configure(EntityTypeBuilder<TaskAssignment> builder)
    {
        builder.ToTable(names.Table(Table), names.Schema,
            t => t.HasCheckConstraint(names.Check(Table, "fencing_token"), "\"fencing_token\" >= 0"));
        builder.HasKey(x => x.Id).HasName(names.PrimaryKey(Table));
        builder.Property(x => x.FencingToken).HasDefaultValue(0L);
        builder.ComplexProperty(x => x.Context, c => c.ToJson("context"));
        builder.Property(x => x.IdempotencyKey).HasMaxLength(IdempotencyKeyLength);

        // The request the key was first used for, so a reuse for a different request is refused (library-internal format).
        builder.Property<string?>(ClaimIdempotency.RequestProperty).HasMaxLength(ClaimIdempotency.RequestLength);

        // Assignments cascade with their work item; an agent with assignments cannot be deleted, only archived.
        builder.HasOne(x => x.WorkItem).WithMany(w => w.Assignments).HasForeignKey(x => x.WorkItemId)
            .OnDelete(DeleteBehavior.Cascade).HasConstraintName(names.ForeignKey(Table, "work_item_id"));
        builder.HasOne(x => x.Agent).WithMany(a => a.Assignments).HasForeignKey(x => x.AgentId)
            .OnDelete(DeleteBehavior.Restrict).HasConstraintName(names.ForeignKey(Table, "agent_id"));

        // The key indexes of the schema (see docs/schema.md, Indexes).
        builder.HasIndex(x => x.WorkItemId).HasDatabaseName(names.Index("task_assignments_work_item"));
        builder.HasIndex(x => x.AgentId).HasDatabaseName(names.Index("task_assignments_agent"));
        builder.HasIndex(x => x.Status).HasDatabaseName(names.Index("task_assignments_status"));
        builder.HasIndex(x => x.AssignedAt).HasDatabaseName(names.Index("task_assignments_assigned_at"));

        // Agent workload and the lease reaper.
        builder.HasIndex(x => new { x.AgentId, x.Status }).HasDatabaseName(names.Index("ix_task_assignments_agent_status"));

        // The leases that still hold their item, by expiry: a claim finds the lapsed ones by reading only those that lapsed
        // (not every held item of the project), and an assignment that ends leaves this index, so the index stays as small
        // as the work in flight.
        builder.HasIndex(x => x.LeaseExpiresAt).HasFilter(ActiveLeaseFilter).HasDatabaseName(names.Index("ix_task_assignments_active_lease"));

        // A fencing token names one assignment of its work item: a claim that raced to the same number fails and retries.
        builder.HasIndex(x => new { x.WorkItemId, x.FencingToken }).IsUnique().HasDatabaseName(names.Index("ux_task_assignments_work_item_fencing_token"));

        // A retried claim finds the first one's assignments; two racing retries cannot both insert. Claims without a key
        // (most) have no entry: keys are only ever looked up by value, and rows without one never conflict.
        builder.HasIndex(x => new { x.AgentId, x.IdempotencyKey }).IsUnique().HasFilter(IndexFilters.NotNull("idempotency_key")).HasDatabaseName(names.Index("ux_task_assignments_agent_idempotency_key"));
    }
}
