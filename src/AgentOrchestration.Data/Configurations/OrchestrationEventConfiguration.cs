using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Storage;
using AgentOrchestration.Data.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentOrchestration.Data.Configurations;

/// <summary>
/// Maps <see cref="OrchestrationEvent"/> to <c>orchestration_events</c>, the append-only dashboard feed (PostgreSQL adds
/// the feed's ordering key through <see cref="IOrchestrationProvider.ConfigureModel"/>).
/// </summary>
internal sealed class OrchestrationEventConfiguration(SchemaNames names) : IEntityTypeConfiguration<OrchestrationEvent>
{
    public const string Table = "orchestration_events";

    public void Configure(EntityTypeBuilder<OrchestrationEvent> builder)
    {
        builder.ToTable(names.Table(Table), names.Schema);
        builder.HasKey(x => x.Sequence).HasName(names.PrimaryKey(Table));
        builder.Property(x => x.Sequence).ValueGeneratedOnAdd();
        builder.Property(x => x.Type).HasMaxLength(100).IsRequired();
        builder.Property(x => x.EntityType).HasMaxLength(50).IsRequired();
        builder.Property(x => x.Actor).HasMaxLength(InputLimits.Actor);
        builder.ComplexProperty(x => x.Payload, c => c.ToJson("payload"));

        // No foreign keys: the log outlives what it describes.
        builder.HasIndex(x => new { x.ProjectId, x.Sequence }).HasDatabaseName(names.Index("ix_orchestration_events_project_sequence"));
        builder.HasIndex(x => new { x.EntityType, x.EntityId }).HasDatabaseName(names.Index("ix_orchestration_events_entity"));
    }
}
