using AgentOrchestration.Data.Dashboards;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Docs.Snippets;

/// <summary>The snippets of docs/dashboards.md.</summary>
internal static class Dashboards
{
    public static async Task ReadAsync(AsyncServiceScope scope, Guid projectId, Guid activeSprintId)
    {
        #region dashboard-read
        var dashboard = scope.ServiceProvider.GetRequiredService<IOrchestrationDashboard>();

        // Everything at once: six commands on one connection, one reading of the clock.
        var snapshot = await dashboard.GetSnapshotAsync(projectId, staleAfter: TimeSpan.FromHours(4), sprintId: activeSprintId, take: 20);

        // Or one part, paged.
        var sessions = await dashboard.GetActiveSessionsAsync(projectId, skip: 0, take: 50);
        var stalled = await dashboard.GetBlockedAndStaleWorkAsync(projectId, TimeSpan.FromHours(4), skip: 50, take: 50);
        #endregion
        _ = (snapshot, sessions, stalled);
    }
}
