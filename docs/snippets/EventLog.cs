using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Docs.Snippets;

/// <summary>The snippets of docs/events.md.</summary>
internal static class EventLog
{
    public static async Task FollowAsync(AsyncServiceScope scope, Guid projectId, long lastProcessed, Action<OrchestrationEvent> render, CancellationToken stopping)
    {
        #region read-and-watch
        var log = scope.ServiceProvider.GetRequiredService<IEventLog>();

        // Page forward: pass the sequence of the last event you processed (0 = from the start).
        var page = await log.ReadAsync(afterSequence: lastProcessed, take: 100, projectId: projectId, cancellationToken: stopping);

        // Or stream: existing events first, then each new one as it commits, until the token is cancelled.
        await foreach (var e in log.WatchAsync(afterSequence: lastProcessed, projectId: projectId, cancellationToken: stopping))
        {
            render(e);
            lastProcessed = e.Sequence; // store it: a restarted watch resumes exactly after it
        }
        #endregion
    }
}
