namespace AgentOrchestration.Data.Entities;

/// <summary>An idea waiting for analysis and promotion to a story (table <c>backlog</c>).</summary>
public class BacklogItem
{
    /// <summary>Gets or sets the identifier (UUID v7).</summary>
    public Guid Id { get; set; }

    /// <summary>Gets or sets the owning project's identifier.</summary>
    public Guid ProjectId { get; set; }

    /// <summary>Gets or sets the title.</summary>
    public string Title { get; set; } = null!;

    /// <summary>Gets or sets the description.</summary>
    public string Description { get; set; } = null!;

    /// <summary>Gets or sets the success criteria.</summary>
    public string SuccessCriteria { get; set; } = null!;

    /// <summary>Gets or sets the priority: 1 critical, 2 high, 3 medium (default), 4 low, 5 nice to have.</summary>
    public int Priority { get; set; } = 3;

    /// <summary>Gets or sets the estimated complexity; <see cref="Complexity.Moderate"/> by default.</summary>
    public Complexity EstimatedComplexity { get; set; } = Complexity.Moderate;

    /// <summary>Gets or sets the business value from 1 to 10; 5 by default.</summary>
    public int BusinessValue { get; set; } = 5;

    /// <summary>Gets or sets the risk score from 0 to 100 computed during analysis; 0 by default.</summary>
    public int RiskScore { get; set; }

    /// <summary>Gets or sets who submitted the item; <c>user</c> by default.</summary>
    public string CreatedBy { get; set; } = "user";

    /// <summary>Gets or sets the agent analysing or working on the item.</summary>
    public string? AssignedToAgent { get; set; }

    /// <summary>Gets or sets the status; <see cref="BacklogStatus.Backlog"/> by default.</summary>
    public BacklogStatus Status { get; set; }

    /// <summary>Gets or sets when the item was submitted (UTC; column <c>timestamp</c>).</summary>
    public DateTimeOffset SubmittedAt { get; set; }

    /// <summary>Gets or sets when the item was last analysed (UTC).</summary>
    public DateTimeOffset? LastAnalyzed { get; set; }

    /// <summary>Gets or sets the prime agent's analysis notes.</summary>
    public string? PrimeNotes { get; set; }

    /// <summary>Gets or sets the owning project.</summary>
    public Project? Project { get; set; }

    /// <summary>Gets the stories promoted from this item.</summary>
    public ICollection<WorkItem> Stories { get; } = [];
}
