using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentOrchestration.Data.Configurations;

/// <summary>Maps <see cref="Project"/> to <c>projects</c>.</summary>
internal sealed class ProjectConfiguration(SchemaNames names) : IEntityTypeConfiguration<Project>
{
    public const string Table = "projects";

    public void Configure(EntityTypeBuilder<Project> builder)
    {
        builder.ToTable(names.Table(Table), names.Schema);
        builder.HasKey(x => x.Id).HasName(names.PrimaryKey(Table));
        builder.Property(x => x.Key).HasMaxLength(InputLimits.ProjectKey).IsRequired();
        builder.Property(x => x.Name).HasMaxLength(InputLimits.Name).IsRequired();
        builder.HasIndex(x => x.Key).IsUnique().HasDatabaseName(names.Index("ux_projects_key"));
    }
}
