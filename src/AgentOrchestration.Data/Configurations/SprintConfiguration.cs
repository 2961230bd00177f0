using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentOrchestration.Data.Configurations;

/// <summary>Maps <see cref="Sprint"/> to <c>sprints</c>.</summary>
internal sealed class SprintConfiguration(SchemaNames names) : IEntityTypeConfiguration<Sprint>
{
    public const string Table = "sprints";

    public void Configure(EntityTypeBuilder<Sprint> builder)
    {
        builder.ToTable(names.Table(Table), names.Schema);
        builder.HasKey(x => x.Id).HasName(names.PrimaryKey(Table));
        builder.Property(x => x.Name).HasMaxLength(InputLimits.Name).IsRequired();
        builder.Property(x => x.Status).HasDefaultValue(SprintStatus.Planned);

        builder.HasOne(x => x.Project).WithMany(p => p.Sprints).HasForeignKey(x => x.ProjectId)
            .OnDelete(DeleteBehavior.Cascade).HasConstraintName(names.ForeignKey(Table, "project_id"));

        builder.HasIndex(x => new { x.ProjectId, x.Status }).HasDatabaseName(names.Index("ix_sprints_project_status"));

        // One active sprint per project, whoever writes: the sprint service refuses a second start with a clear error,
        // this is the backstop against a writer that bypasses it.
        builder.HasIndex(x => x.ProjectId).IsUnique().HasFilter("status = 'active'").HasDatabaseName(names.Index("ux_sprints_project_active"));
    }
}
