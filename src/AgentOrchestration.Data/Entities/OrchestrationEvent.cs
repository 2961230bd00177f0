namespace AgentOrchestration.Data.Entities;

/// <summary>One entry of the append-only event log that feeds dashboards (table <c>orchestration_events</c>).</summary>
public class OrchestrationEvent
{
    /// <summary>Gets or sets the ever-increasing sequence number assigned by the database.</summary>
    public long Sequence { get; set; }

    /// <summary>Gets or sets when the change happened (UTC).</summary>
    public DateTimeOffset OccurredAt { get; set; }

    /// <summary>Gets or sets the event type, such as <c>work_item.claimed</c>.</summary>
    public string Type { get; set; } = null!;

    /// <summary>Gets or sets the project the change belongs to, if any.</summary>
    public Guid? ProjectId { get; set; }

    /// <summary>Gets or sets the kind of entity that changed, such as <c>work_item</c>.</summary>
    public string EntityType { get; set; } = null!;

    /// <summary>Gets or sets the identifier of the entity that changed.</summary>
    public Guid? EntityId { get; set; }

    /// <summary>Gets or sets who made the change: an agent slug, a session key or a user.</summary>
    public string? Actor { get; set; }

    /// <summary>Gets or sets the event details (JSON).</summary>
    public EventPayload? Payload { get; set; }
}
