using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentOrchestration.Data.Configurations;

/// <summary>Maps <see cref="WorkItemDependency"/> to <c>work_item_dependencies</c>.</summary>
internal sealed class WorkItemDependencyConfiguration(SchemaNames names) : IEntityTypeConfiguration<WorkItemDependency>
{
    public const string Table = "work_item_dependencies";

    public void Configure(EntityTypeBuilder<WorkItemDependency> builder)
    {
        builder.ToTable(names.Table(Table), names.Schema,
            t => t.HasCheckConstraint(names.Check(Table, "depends_on_id"), "\"depends_on_id\" <> \"work_item_id\""));
        builder.HasKey(x => new { x.WorkItemId, x.DependsOnId }).HasName(names.PrimaryKey(Table));

        builder.HasOne(x => x.WorkItem).WithMany(w => w.Dependencies).HasForeignKey(x => x.WorkItemId)
            .OnDelete(DeleteBehavior.Cascade).HasConstraintName(names.ForeignKey(Table, "work_item_id"));
        builder.HasOne(x => x.DependsOn).WithMany().HasForeignKey(x => x.DependsOnId)
            .OnDelete(DeleteBehavior.Cascade).HasConstraintName(names.ForeignKey(Table, "depends_on_id"));

        // "Which items wait on this one" when an item completes.
        builder.HasIndex(x => x.DependsOnId).HasDatabaseName(names.Index("ix_work_item_dependencies_depends_on_id"));
    }
}
