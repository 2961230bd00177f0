using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentOrchestration.Data.Configurations;

/// <summary>Maps <see cref="BacklogItem"/> to <c>backlog</c> with the owning project.</summary>
internal sealed class BacklogItemConfiguration(SchemaNames names) : IEntityTypeConfiguration<BacklogItem>
{
    public const string Table = "backlog";

    public void Configure(EntityTypeBuilder<BacklogItem> builder)
    {
        builder.ToTable(names.Table(Table), names.Schema, t =>
        {
            t.HasCheckConstraint(names.Check(Table, "priority"), "\"priority\" BETWEEN 1 AND 5");
            t.HasCheckConstraint(names.Check(Table, "business_value"), "\"business_value\" BETWEEN 1 AND 10");
            t.HasCheckConstraint(names.Check(Table, "risk_score"), "\"risk_score\" BETWEEN 0 AND 100");
        });
        builder.HasKey(x => x.Id).HasName(names.PrimaryKey(Table));

        builder.Property(x => x.Title).HasMaxLength(InputLimits.Title).IsRequired();
        builder.Property(x => x.Description).IsRequired();
        builder.Property(x => x.SuccessCriteria).IsRequired();
        builder.Property(x => x.Priority).HasDefaultValue(3);
        builder.Property(x => x.EstimatedComplexity).HasDefaultValue(Complexity.Moderate);
        builder.Property(x => x.BusinessValue).HasDefaultValue(5);
        builder.Property(x => x.RiskScore).HasDefaultValue(0);
        builder.Property(x => x.CreatedBy).HasMaxLength(InputLimits.Actor).HasDefaultValue("user").IsRequired();
        builder.Property(x => x.AssignedToAgent).HasMaxLength(InputLimits.Actor);
        builder.Property(x => x.Status).HasDefaultValue(BacklogStatus.Backlog);
        builder.Property(x => x.SubmittedAt).HasColumnName("timestamp").HasDefaultValueSql("CURRENT_TIMESTAMP");

        builder.HasOne(x => x.Project).WithMany(p => p.BacklogItems).HasForeignKey(x => x.ProjectId)
            .OnDelete(DeleteBehavior.Cascade).HasConstraintName(names.ForeignKey(Table, "project_id"));

        builder.HasIndex(x => new { x.ProjectId, x.Status, x.Priority }).HasDatabaseName(names.Index("ix_backlog_project_status_priority"));
    }
}
