using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Backlog;

/// <summary>What <see cref="IBacklogService.SubmitAsync"/> needs to add an idea to a project's backlog.</summary>
/// <param name="ProjectId">The project the item belongs to.</param>
/// <param name="Title">The title (1 to 500 characters).</param>
/// <param name="Description">What is wanted and why (1 to 20000 characters).</param>
/// <param name="SuccessCriteria">How to tell it is done; QA checks the promoted story against it (1 to 20000 characters).</param>
public sealed record BacklogSubmission(Guid ProjectId, string Title, string Description, string SuccessCriteria)
{
    /// <summary>The longest description, success criteria or analysis notes.</summary>
    public const int MaxTextLength = 20_000;

    /// <summary>Gets the priority: 1 critical, 2 high, 3 medium (the default), 4 low, 5 nice to have.</summary>
    public int Priority { get; init; } = 3;

    /// <summary>Gets the business value from 1 to 10; 5 by default.</summary>
    public int BusinessValue { get; init; } = 5;

    /// <summary>Gets the estimated complexity; <see cref="Complexity.Moderate"/> by default.</summary>
    public Complexity Complexity { get; init; } = Complexity.Moderate;

    /// <summary>Gets who submits the item (1 to 200 characters); <c>user</c> by default.</summary>
    public string CreatedBy { get; init; } = "user";
}
