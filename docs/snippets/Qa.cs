using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Qa;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Docs.Snippets;

/// <summary>The snippets of docs/qa.md.</summary>
internal static class Qa
{
    public static async Task ReviewAsync(AsyncServiceScope scope, IWorkClaimer claimer, Guid agentId, Guid projectId, AgentSession implementer, AgentSession reviewer, Guid taskId)
    {
        #region qa-review
        // The implementer claims through its session, which records it as the implementing session.
        var work = await claimer.ClaimNextAsync(agentId, projectId, new ClaimOptions { SessionId = implementer.SessionId })
            ?? throw new InvalidOperationException("nothing ready to claim");

        // Another session reviews.
        var qa = scope.ServiceProvider.GetRequiredService<IQaService>();
        await qa.RecordResultAsync(new NewQaResult(work.Lease.WorkItemId, reviewer.SessionId, QaType.CodeReview, QaResultStatus.Fail)
        {
            RemediationNeeded = "OrderService.Place swallows the payment error; surface it and add a test.",
            Findings = [new QaFinding { Severity = "major", Message = "exception swallowed", File = "src/OrderService.cs", Line = 42 }],
        });
        // ... the work is back with the implementer (in_progress); it fixes it, then:
        await qa.RecordResultAsync(new NewQaResult(taskId, reviewer.SessionId, QaType.CodeReview, QaResultStatus.Pass));
        await qa.RecordResultAsync(new NewQaResult(taskId, reviewer.SessionId, QaType.SuccessCriteria, QaResultStatus.Pass));

        var state = await qa.GetStateAsync(taskId);   // level, required types, latest result per type, Missing
        await claimer.CompleteAsync(work.Lease);        // QaGateException while state.Missing is not empty
        #endregion
    }

    public static void Policy(IServiceCollection services, string cs)
    {
        #region qa-policy
        services.AddAgentOrchestration(o => o.UsePostgreSql(cs).ConfigureQa(p => p
            .Require(OversightLevel.Standard, QaType.CodeReview)
            .Require(OversightLevel.Strict, QaType.CodeReview, QaType.FunctionalTest, QaType.MockDetection)
            .AcceptWarnings(OversightLevel.Strict, true)));
        // p.RequireNone() turns the gate off (results are still recorded); p.UnknownSessionLevel = OversightLevel.Enhanced
        #endregion
    }
}
