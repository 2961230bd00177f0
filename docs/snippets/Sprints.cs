using AgentOrchestration.Data.Sprints;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Docs.Snippets;

/// <summary>The snippets of docs/sprints.md.</summary>
internal static class Sprints
{
    public static async Task LifecycleAsync(AsyncServiceScope scope, Guid projectId, Guid storyId, Guid taskId, DateTimeOffset monday)
    {
        #region sprint-lifecycle
        var sprints = scope.ServiceProvider.GetRequiredService<ISprintService>();
        var sprint = await sprints.PlanAsync(new SprintPlan(projectId, "Sprint 12") { Goal = "Ship claims", StartsAt = monday, EndsAt = monday.AddDays(14), Actor = "lead" });
        await sprints.AddWorkAsync(sprint.Id, [storyId, taskId], "lead");
        await sprints.StartAsync(sprint.Id, "lead");
        SprintProgress progress = await sprints.GetProgressAsync(sprint.Id);
        SprintCompletion done = await sprints.CompleteAsync(sprint.Id, "lead");   // done.ReturnedItemIds: unfinished work, now in no sprint
        #endregion
    }
}
