using System.Globalization;
using System.Net.ServerSentEvents;
using System.Text.Json;
using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Dashboard.Streaming;

/// <summary>
/// One message of the live stream, already serialised once for every page that receives it. Only log events carry an
/// id (their sequence): that is what a reconnecting browser sends back as <c>Last-Event-ID</c>.
/// </summary>
/// <param name="Type">The SSE event type: <c>orchestration</c>, <c>snapshot</c>, <c>project</c> or <c>keepalive</c>.</param>
/// <param name="Json">The data, as JSON on one line.</param>
/// <param name="Sequence">The event's sequence, for <c>orchestration</c> messages.</param>
internal sealed record StreamItem(string Type, string Json, long? Sequence = null)
{
    public const string EventType = "orchestration";
    public const string SnapshotType = "snapshot";
    public const string ProjectType = "project";
    public const string KeepAliveType = "keepalive";

    public static StreamItem ForEvent(OrchestrationEvent e) =>
        new(EventType, JsonSerializer.Serialize(EventDto.From(e), DashboardJson.Options), e.Sequence);

    public static StreamItem ForSnapshot(string json) => new(SnapshotType, json);

    public static StreamItem ForProject(Guid? projectId) => new(ProjectType, JsonSerializer.Serialize(new { projectId }, DashboardJson.Options));

    public static StreamItem KeepAlive(DateTimeOffset now) => new(KeepAliveType, JsonSerializer.Serialize(new { at = now }, DashboardJson.Options));

    public SseItem<string> ToSse(TimeSpan? reconnectAfter = null) => new(Json, Type)
    {
        EventId = Sequence?.ToString(CultureInfo.InvariantCulture),
        ReconnectionInterval = reconnectAfter,
    };
}
