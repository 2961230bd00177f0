using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Migrations;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Work;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Docs.Snippets;

/// <summary>The snippets of README.md and docs/getting-started.md.</summary>
internal static class GettingStarted
{
    public static async Task QuickStartAsync()
    {
        #region quick-start
        var services = new ServiceCollection();
        services.AddAgentOrchestration(o => o.UseSqlite("Data Source=agents.db"));
        await using var provider = services.BuildServiceProvider();
        await using var scope = provider.CreateAsyncScope();

        // Create or upgrade the tables (idempotent: run it at every start-up).
        await scope.ServiceProvider.GetRequiredService<IAgentOrchestrationMigrator>().MigrateAsync();

        // A project with one task, and an agent that can do it.
        var work = scope.ServiceProvider.GetRequiredService<IWorkItemService>();
        var project = await work.CreateProjectAsync("shop", "Web shop");
        await work.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Task, Title = "Add CSV export", RequiredCapabilities = ["csharp"] });
        var agent = await scope.ServiceProvider.GetRequiredService<IAgentRegistry>().RegisterAsync(new AgentRegistration
        {
            Name = "Backend engineer", Slug = "backend-1", Type = "backend-engineer", Mode = "implementation",
            Capabilities = [new CapabilityEntry { Name = "csharp", Proficiency = 4 }],
        });

        // Claim the next ready task: atomic, so two agents never get the same one.
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        if (await claimer.ClaimNextAsync(agent.Id, project.Id) is { } claimed)
        {
            Console.WriteLine($"{agent.Slug} took '{claimed.Title}' until {claimed.LeaseExpiresAt:O}");
        }
        #endregion
    }

    public static async Task AgentLoopAsync(IServiceProvider provider, Guid agentId, Guid projectId, string reviewerSessionId, CancellationToken stopping)
    {
        #region agent-loop
        await using var scope = provider.CreateAsyncScope();
        var sessions = scope.ServiceProvider.GetRequiredService<ISessionService>();
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        var qa = scope.ServiceProvider.GetRequiredService<IQaService>();

        var session = await sessions.StartAsync(new SessionStart(projectId, SessionAgentType.Implementation) { AgentId = agentId }, stopping);
        try
        {
            // Claiming through the session makes it the task's implementing session (what QA checks against).
            while (await claimer.ClaimNextAsync(agentId, projectId, new ClaimOptions { SessionId = session.SessionId }, stopping) is { } task)
            {
                // ... edit, build, test; every few seconds:
                await sessions.HeartbeatAsync(session.SessionId, $"working on '{task.Title}'", cancellationToken: stopping); // also renews the lease

                // Another session (a reviewer agent) checks the work; the QA gate refuses completion until it passes.
                var taskId = task.Lease.WorkItemId;
                await qa.RecordResultAsync(new NewQaResult(taskId, reviewerSessionId, QaType.CodeReview, QaResultStatus.Pass), stopping);
                await qa.RecordResultAsync(new NewQaResult(taskId, reviewerSessionId, QaType.SuccessCriteria, QaResultStatus.Pass), stopping);
                await claimer.CompleteAsync(task.Lease, stopping);
            }

            await sessions.EndAsync(session.SessionId, SessionStatus.Completed, cancellationToken: stopping);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Failing the session releases its locks and returns its claimed work to the queue.
            await sessions.EndAsync(session.SessionId, SessionStatus.Failed, exception.Message, CancellationToken.None);
            throw;
        }
        #endregion
    }

    public static async Task WatchAsync(IServiceProvider provider, Guid projectId, CancellationToken stopping)
    {
        #region watch-events
        await using var scope = provider.CreateAsyncScope();
        await foreach (var e in scope.ServiceProvider.GetRequiredService<IEventLog>().WatchAsync(projectId: projectId, cancellationToken: stopping))
        {
            Console.WriteLine($"{e.Sequence,6} {e.OccurredAt:HH:mm:ss} {e.Type,-24} {e.EntityType} {e.EntityId} by {e.Actor}");
        }
        #endregion
    }
}
