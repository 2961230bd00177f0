using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Delegation;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Work;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Docs.Snippets;

/// <summary>The snippets of docs/coordination.md.</summary>
internal static class Coordination
{
    public static async Task<WorkItem> CreateWithDependenciesAsync(AsyncServiceScope scope, Guid projectId, Guid schemaId, Guid apiId)
    {
        #region create-with-dependencies
        var work = scope.ServiceProvider.GetRequiredService<IWorkItemService>();
        // Written with its dependencies in one transaction: no agent can claim it before both are done.
        var export = await work.CreateWorkItemAsync(new NewWorkItem
        {
            ProjectId = projectId, Type = WorkItemType.Task, Title = "Add CSV export", DependsOn = [schemaId, apiId],
        });
        #endregion
        return export;
    }

    public static async Task ClaimAsync(AsyncServiceScope scope, Guid agentId, Guid projectId)
    {
        #region claim-and-lease
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        if (await claimer.ClaimNextAsync(agentId, projectId, new ClaimOptions { LeaseDuration = TimeSpan.FromMinutes(5) }) is { } work)
        {
            // ... work, renewing the lease well before it expires:
            await claimer.RenewAsync(work.Lease);
            await claimer.CompleteAsync(work.Lease);
        }
        #endregion
    }

    public static async Task ChainAsync(IWorkClaimer claimer, Guid agentId, Guid projectId)
    {
        #region complete-and-claim-next
        var work = await claimer.ClaimNextAsync(agentId, projectId);
        while (work is not null)
        {
            // ... do the work ...
            work = await claimer.CompleteAndClaimNextAsync(work.Lease, agentId, projectId);
        }
        #endregion
    }

    public static async Task DelegateAsync(AsyncServiceScope scope, Guid agentId, Guid taskId)
    {
        #region delegation
        var delegation = scope.ServiceProvider.GetRequiredService<IDelegationService>();
        await delegation.AssignAsync(taskId, Assignee.Agent(agentId), new DelegationOptions { Actor = "orchestrator", Context = new DelegationContext { Notes = "start with the tests" } });
        await delegation.StartAsync(taskId);
        await delegation.BlockAsync(taskId, "waiting for the schema");
        await delegation.UnblockAsync(taskId);
        await delegation.CompleteAsync(taskId);
        #endregion
    }

    public static void ExplicitClock(IServiceCollection services, string connectionString, TimeProvider clock)
    {
        #region explicit-clock
        // Tests: a FakeTimeProvider decides every expiry, on PostgreSQL too. Never on several machines sharing a database.
        services.AddAgentOrchestration(o => o.UsePostgreSql(connectionString).UseClock(clock));
        #endregion
    }
}
