using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentOrchestration.Data.Configurations;

/// <summary>Maps <see cref="AgentProfile"/> to <c>agent_profiles</c>.</summary>
internal sealed class AgentProfileConfiguration(SchemaNames names) : IEntityTypeConfiguration<AgentProfile>
{
    public const string Table = "agent_profiles";

    public const int SlugLength = InputLimits.Slug;

    public void Configure(EntityTypeBuilder<AgentProfile> builder)
    {
        builder.ToTable(names.Table(Table), names.Schema, t =>
        {
            // The full slug pattern is checked by the library; SQL without regular expressions on SQLite can only bound it.
            t.HasCheckConstraint(names.Check(Table, "slug"), "length(\"slug\") > 0 AND \"slug\" = lower(\"slug\")");
            t.HasCheckConstraint(names.Check(Table, "max_concurrent_tasks"), "\"max_concurrent_tasks\" >= 1");
        });
        builder.HasKey(x => x.Id).HasName(names.PrimaryKey(Table));
        builder.Ignore(x => x.ActiveAssignments);

        builder.Property(x => x.Name).HasMaxLength(InputLimits.Name).IsRequired();
        builder.Property(x => x.Slug).HasMaxLength(SlugLength).IsRequired();
        builder.Property(x => x.Type).HasMaxLength(InputLimits.AgentType).IsRequired();
        builder.Property(x => x.Mode).HasMaxLength(InputLimits.AgentMode).IsRequired();
        builder.Property(x => x.Status).HasDefaultValue(AgentStatus.Active);
        builder.Property(x => x.MaxConcurrentTasks).HasDefaultValue(1);
        builder.ComplexCollection(x => x.Capabilities, c => c.ToJson("capabilities"));
        builder.ComplexProperty(x => x.Constraints, c => c.ToJson("constraints"));
        builder.ComplexCollection(x => x.Tools, c => c.ToJson("tools"));
        builder.ComplexCollection(x => x.Metadata, c => c.ToJson("metadata"));

        // An agent's assigned tasks: the work items reached through task_assignments (many-to-many).
        builder.HasMany(x => x.AssignedTasks).WithMany().UsingEntity<TaskAssignment>(
            r => r.HasOne(a => a.WorkItem).WithMany(w => w.Assignments).HasForeignKey(a => a.WorkItemId),
            l => l.HasOne(a => a.Agent).WithMany(a => a.Assignments).HasForeignKey(a => a.AgentId));

        // The key indexes of the schema (see docs/schema.md, Indexes).
        builder.HasIndex(x => new { x.Type, x.Status }).HasDatabaseName(names.Index("agent_profiles_type_status"));
        builder.HasIndex(x => x.Slug).IsUnique().HasDatabaseName(names.Index("agent_profiles_slug"));
    }
}
