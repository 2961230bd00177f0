using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Docs.Snippets;

/// <summary>The snippets of docs/sessions.md.</summary>
internal static class Sessions
{
    public static async Task LifecycleAsync(AsyncServiceScope scope, Guid projectId, Guid agentId, Guid taskId)
    {
        #region session-lifecycle
        var sessions = scope.ServiceProvider.GetRequiredService<ISessionService>();
        var session = await sessions.StartAsync(new SessionStart(projectId, SessionAgentType.Implementation) { AgentId = agentId, TaskId = taskId });

        await sessions.HeartbeatAsync(session.SessionId, "running the tests");   // every few seconds
        await sessions.EndAsync(session.SessionId, SessionStatus.Completed);
        #endregion
    }

    public static void Reaper(IServiceCollection services, string connectionString)
    {
        #region session-reaper
        services.AddAgentOrchestration(o => o.UsePostgreSql(connectionString)
            .AddSessionReaper(r => { r.Timeout = TimeSpan.FromMinutes(2); r.Interval = TimeSpan.FromSeconds(30); }));
        #endregion
    }
}
