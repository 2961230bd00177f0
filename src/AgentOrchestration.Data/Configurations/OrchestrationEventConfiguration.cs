using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Internal;
using AgentOrchestration.Data.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentOrchestration.Data.Configurations;

/// <summary>Maps <see cref="OrchestrationEvent"/> to <c>orchestration_events</c>, the append-only dashboard feed.</summary>
internal sealed class OrchestrationEventConfiguration(SchemaNames names, bool postgreSql) : IEntityTypeConfiguration<OrchestrationEvent>
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

        if (postgreSql)
        {
            // Sequence values are taken at insert but become visible at commit, so on PostgreSQL the feed follows
            // (transaction_id, sequence) and reads only below a horizon no event writer can fall behind; see EventFeedSchema.
            builder.HasAnnotation(EventFeedSchema.ChannelAnnotation, EventFeedSchema.Channel(names));
            builder.HasAnnotation(EventFeedSchema.HorizonAnnotation, EventFeedSchema.HorizonSequence(names));
            builder.Metadata.Model.AddSequence(EventFeedSchema.HorizonSequenceName(names), names.Schema);
            builder.Property<ulong>(EventFeedSchema.TransactionIdProperty).HasColumnType("xid8")
                .HasDefaultValueSql(EventFeedSchema.TransactionIdDefaultSql(names));
            builder.HasIndex(EventFeedSchema.TransactionIdProperty, nameof(OrchestrationEvent.Sequence))
                .HasDatabaseName(names.Index("ix_orchestration_events_transaction_sequence"));
        }
    }
}
