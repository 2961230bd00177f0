using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Testing;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>
/// Valid rows for tests that insert them directly (schema, constraints, seeded states); tests then break one rule at a
/// time. Their values come from the Testing package's seeded factories, so these rows and a host's test data are built
/// the same way; the fields the factories leave random but these tests rely on (an agent's one csharp capability, a
/// limit of one task, no required capabilities) stay fixed here.
/// </summary>
public static class Fakes
{
    /// <summary>The package's factories every fake row draws from; deterministic for one test run's order of calls.</summary>
    public static readonly OrchestrationFaker Factory = new();

    public static DateTimeOffset Now => DateTimeOffset.UtcNow;

    /// <summary>Every capability the factories' tasks may require, for an agent that can claim any of them.</summary>
    public static List<CapabilityEntry> AllCapabilities() => [.. OrchestrationFaker.Capabilities.Select(c => new CapabilityEntry { Name = c, Proficiency = 3 })];

    public static Project Project()
    {
        var request = Factory.Project();
        return new Project { Key = request.Key, Name = request.Name, Description = request.Description, CreatedAt = Now, UpdatedAt = Now };
    }

    public static AgentProfile Agent()
    {
        var registration = Factory.Agent();
        return new AgentProfile
        {
            Name = registration.Name,
            Slug = registration.Slug,
            Type = registration.Type,
            Mode = registration.Mode,
            Description = registration.Description,
            Capabilities = [new CapabilityEntry { Name = "csharp", Proficiency = 4 }],
            Constraints = registration.Constraints,
            Tools = registration.Tools,
            Metadata = registration.Metadata,
            CreatedAt = Now,
            UpdatedAt = Now,
        };
    }

    public static WorkItem WorkItem(Project project, WorkItemType type = WorkItemType.Task, WorkItem? parent = null)
    {
        var values = Factory.WorkItem(project.Id, type);
        return new WorkItem
        {
            Project = project,
            Parent = parent,
            Type = type,
            Title = values.Title,
            Description = values.Description,
            SuccessCriteria = values.SuccessCriteria,
            Priority = values.Priority,
            EstimatedHours = values.EstimatedHours,
            CreatedAt = Now,
            UpdatedAt = Now,
        };
    }

    public static BacklogItem Backlog(Project project)
    {
        var submission = Factory.BacklogSubmission(project.Id);
        return new BacklogItem
        {
            Project = project,
            Title = submission.Title,
            Description = submission.Description,
            SuccessCriteria = submission.SuccessCriteria,
            Priority = submission.Priority,
            BusinessValue = submission.BusinessValue,
            SubmittedAt = Now,
        };
    }

    public static AgentSession Session(Project project, WorkItem? story = null, WorkItem? task = null) => new()
    {
        SessionId = Factory.Session(project.Id).SessionId!,
        Project = project,
        ParentStory = story,
        Task = task,
        AgentType = SessionAgentType.Implementation,
        StartTime = Now,
    };

    public static TaskAssignment Assignment(WorkItem item, AgentProfile agent) => new()
    {
        WorkItem = item,
        Agent = agent,
        AssignedAt = Now,
        Status = AssignmentStatus.Assigned,
        CreatedAt = Now,
        UpdatedAt = Now,
    };
}
