using AgentOrchestration.Data.Backlog;
using AgentOrchestration.Data.Entities;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Docs.Snippets;

/// <summary>The snippets of docs/backlog.md.</summary>
internal static class Backlog
{
    public static async Task LifecycleAsync(AsyncServiceScope scope, Guid projectId, Guid epicId, Guid sprintId)
    {
        #region backlog-lifecycle
        var backlog = scope.ServiceProvider.GetRequiredService<IBacklogService>();
        var item = await backlog.SubmitAsync(new BacklogSubmission(projectId, "Export reports", "Users export a report as CSV.", "A CSV downloads with every column")
        {
            Priority = 2, BusinessValue = 8, Complexity = Complexity.Complex, CreatedBy = "product-owner",
        });
        await backlog.StartAnalysisAsync(item.Id, "prime");                       // backlog -> analyzing, assigned_to_agent = prime
        await backlog.RecordAnalysisAsync(item.Id, new BacklogAnalysis("prime") { Complexity = Complexity.HighRisk, PrimeNotes = "touches billing" });
        await backlog.MarkReadyAsync(item.Id, "prime");                           // analyzing -> ready   (or BlockAsync(id, agent, reason))
        var story = await backlog.PromoteAsync(item.Id, new BacklogPromotion("prime") { EpicId = epicId, SprintId = sprintId, EstimatedHours = 13 });
        await backlog.ApproveStoryAsync(story.Id, "reviewer");                    // prime_approved = true
        #endregion
    }

    public static void ReplaceRiskStrategy(IServiceCollection services, string cs)
    {
        #region backlog-risk-strategy
        services.AddSingleton<IBacklogRiskStrategy, MyRiskStrategy>();   // scoped works too
        services.AddAgentOrchestration(o => o.UsePostgreSql(cs));
        #endregion
    }
}

/// <summary>A stand-in for a host's own risk strategy.</summary>
internal sealed class MyRiskStrategy : IBacklogRiskStrategy
{
    public int Score(BacklogRiskFactors factors) => factors.Complexity == Complexity.HighRisk ? 90 : 20;
}
