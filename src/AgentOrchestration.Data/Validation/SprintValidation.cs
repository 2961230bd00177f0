using AgentOrchestration.Data.Sprints;

namespace AgentOrchestration.Data.Validation;

/// <summary>The rules for planning sprints and changing them.</summary>
internal static class SprintValidation
{
    public static void Plan(SprintPlan? plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        Input.Id(plan.ProjectId, "plan.ProjectId");
        Input.Name(plan.Name, "plan.Name", InputLimits.Name);
        Input.Text(plan.Goal, "plan.Goal", InputLimits.Text);
        if (plan.StartsAt is { } start && plan.EndsAt is { } end && end <= start)
        {
            throw new ArgumentException($"plan.EndsAt {end:O} is not after plan.StartsAt {start:O}. Allowed: a sprint ends after it starts.", "plan.EndsAt");
        }

        Input.OptionalName(plan.Actor, "plan.Actor", InputLimits.Actor);
    }

    public static void Change(Guid sprintId, string? actor)
    {
        Input.Id(sprintId, nameof(sprintId));
        Input.OptionalName(actor, nameof(actor), InputLimits.Actor);
    }

    public static void Work(Guid sprintId, IReadOnlyCollection<Guid>? workItemIds, string? actor)
    {
        Change(sprintId, actor);
        ArgumentNullException.ThrowIfNull(workItemIds);
        var index = 0;
        foreach (var id in workItemIds)
        {
            Input.Id(id, $"workItemIds[{index++}]");
        }
    }
}
