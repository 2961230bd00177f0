using AgentOrchestration.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.EventLog;

/// <summary>Appends to the event log through the caller's context, so the event commits in the same transaction as the change.</summary>
internal static class Events
{
    public static OrchestrationEvent Append(
        DbContext context, DateTimeOffset at, string type, Guid? projectId, string entityType, Guid? entityId, string? actor, EventPayload? payload = null)
    {
        var entry = new OrchestrationEvent
        {
            OccurredAt = at,
            Type = type,
            ProjectId = projectId,
            EntityType = entityType,
            EntityId = entityId,
            Actor = actor,
            Payload = payload,
        };
        context.Add(entry);
        return entry;
    }
}
