using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Dashboards;

/// <summary>One entry of a project's event log, as a dashboard shows it.</summary>
/// <param name="Sequence">The event's sequence number.</param>
/// <param name="OccurredAt">When the change happened (UTC).</param>
/// <param name="Type">The event type, such as <c>work_item.claimed</c>.</param>
/// <param name="EntityType">The kind of entity that changed, such as <c>work_item</c>.</param>
/// <param name="EntityId">The entity that changed, if any.</param>
/// <param name="Actor">Who made the change, if known.</param>
/// <param name="Payload">The event details, if any (an untracked copy).</param>
public sealed record RecentEvent(long Sequence, DateTimeOffset OccurredAt, string Type, string EntityType, Guid? EntityId, string? Actor, EventPayload? Payload);
