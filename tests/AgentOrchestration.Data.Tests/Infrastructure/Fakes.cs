using AgentOrchestration.Data.Entities;
using Bogus;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>Bogus generators for valid rows; tests then break one rule at a time.</summary>
public static class Fakes
{
    private static readonly Faker Faker = new();

    public static DateTimeOffset Now => DateTimeOffset.UtcNow;

    public static Project Project() => new()
    {
        Key = $"{Faker.Hacker.Noun().ToLowerInvariant().Replace(' ', '-')}-{Guid.NewGuid():N}"[..30],
        Name = Faker.Company.CompanyName(),
        Description = Faker.Company.CatchPhrase(),
        CreatedAt = Now,
        UpdatedAt = Now,
    };

    public static AgentProfile Agent() => new()
    {
        Name = Faker.Name.FullName(),
        Slug = $"agent-{Guid.NewGuid():N}"[..20],
        Type = Faker.PickRandom("backend-engineer", "frontend-engineer", "qa-engineer"),
        Mode = Faker.PickRandom("implementation", "planning", "review"),
        Description = Faker.Lorem.Sentence(),
        Capabilities = [new CapabilityEntry { Name = "csharp", Proficiency = 4 }],
        Constraints = new AgentConstraints { Rules = [Faker.Lorem.Sentence()], ForbiddenPaths = ["secrets/**"] },
        Tools = [new AgentTool { Name = "git", Description = "version control" }],
        Metadata = [new MetadataEntry { Key = "team", Value = Faker.Commerce.Department() }],
        CreatedAt = Now,
        UpdatedAt = Now,
    };

    public static WorkItem WorkItem(Project project, WorkItemType type = WorkItemType.Task, WorkItem? parent = null) => new()
    {
        Project = project,
        Parent = parent,
        Type = type,
        Title = Faker.Hacker.Phrase(),
        Description = Faker.Lorem.Paragraph(),
        SuccessCriteria = Faker.Lorem.Sentence(),
        Priority = Faker.Random.Int(1, 5),
        EstimatedHours = Math.Round(Faker.Random.Decimal(1, 40), 2),
        CreatedAt = Now,
        UpdatedAt = Now,
    };

    public static BacklogItem Backlog(Project project) => new()
    {
        Project = project,
        Title = Faker.Hacker.Phrase(),
        Description = Faker.Lorem.Paragraph(),
        SuccessCriteria = Faker.Lorem.Sentence(),
        Priority = Faker.Random.Int(1, 5),
        BusinessValue = Faker.Random.Int(1, 10),
        SubmittedAt = Now,
    };

    public static AgentSession Session(Project project, WorkItem? story = null, WorkItem? task = null) => new()
    {
        SessionId = $"session-{Guid.NewGuid():N}",
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
