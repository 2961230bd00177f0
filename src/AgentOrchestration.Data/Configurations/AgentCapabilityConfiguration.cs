using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentOrchestration.Data.Configurations;

/// <summary>Maps <see cref="AgentCapability"/> to <c>agent_capabilities</c>.</summary>
internal sealed class AgentCapabilityConfiguration(SchemaNames names) : IEntityTypeConfiguration<AgentCapability>
{
    public const string Table = "agent_capabilities";

    public void Configure(EntityTypeBuilder<AgentCapability> builder)
    {
        builder.ToTable(names.Table(Table), names.Schema, t =>
        {
            t.HasCheckConstraint(names.Check(Table, "proficiency"), "\"proficiency\" BETWEEN 1 AND 5");
            t.HasCheckConstraint(names.Check(Table, "capability"), "length(\"capability\") > 0 AND \"capability\" = lower(\"capability\")");
        });
        builder.HasKey(x => x.Id).HasName(names.PrimaryKey(Table));
        builder.Property(x => x.Capability).HasMaxLength(InputLimits.Capability).IsRequired();
        builder.Property(x => x.Proficiency).HasDefaultValue(3);

        builder.HasOne(x => x.Agent).WithMany(a => a.CapabilityRecords).HasForeignKey(x => x.AgentId)
            .OnDelete(DeleteBehavior.Cascade).HasConstraintName(names.ForeignKey(Table, "agent_id"));

        builder.HasIndex(x => new { x.AgentId, x.Capability }).IsUnique().HasDatabaseName(names.Index("ux_agent_capabilities_agent_capability"));
        builder.HasIndex(x => x.Capability).HasDatabaseName(names.Index("ix_agent_capabilities_capability"));
    }
}
