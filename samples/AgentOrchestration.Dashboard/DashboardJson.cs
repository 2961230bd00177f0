using System.Text.Json;
using System.Text.Json.Serialization;
using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Dashboard;

/// <summary>The JSON shape of every endpoint and stream message: camelCase names, enums as the database's snake_case strings.</summary>
internal static class DashboardJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        return options;
    }
}

/// <summary>An event of the log as the API returns it.</summary>
internal sealed record EventDto(
    long Sequence, DateTimeOffset OccurredAt, string Type, Guid? ProjectId, string EntityType, Guid? EntityId, string? Actor, PayloadDto? Payload)
{
    public static EventDto From(OrchestrationEvent e) =>
        new(e.Sequence, e.OccurredAt, e.Type, e.ProjectId, e.EntityType, e.EntityId, e.Actor, PayloadDto.Of(e.Payload));
}

/// <summary>An event's details.</summary>
internal sealed record PayloadDto(string? From, string? To, Guid? AgentId, string? SessionId, Guid? WorkItemId, string? Reason, IReadOnlyDictionary<string, string?> Data)
{
    public static PayloadDto? Of(EventPayload? p) => p is null ? null
        : new(p.From, p.To, p.AgentId, p.SessionId, p.WorkItemId, p.Reason, p.Data.GroupBy(d => d.Key).ToDictionary(g => g.Key, g => g.Last().Value));
}
