using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Work;

/// <summary>What creating an epic, story, task or bug takes.</summary>
public sealed class NewWorkItem
{
    /// <summary>Gets or sets the project the item belongs to.</summary>
    public required Guid ProjectId { get; set; }

    /// <summary>Gets or sets the kind of item.</summary>
    public required WorkItemType Type { get; set; }

    /// <summary>Gets or sets the title (1 to 500 characters).</summary>
    public required string Title { get; set; }

    /// <summary>Gets or sets the description (at most 20000 characters; tab and line breaks allowed, no other control characters).</summary>
    public string? Description { get; set; }

    /// <summary>Gets or sets the success criteria QA checks (at most 20000 characters, as the description).</summary>
    public string? SuccessCriteria { get; set; }

    /// <summary>Gets or sets the priority from 1 (critical) to 5 (nice to have); 3 by default.</summary>
    public int Priority { get; set; } = 3;

    /// <summary>Gets or sets the parent: none for an epic, an epic for a story, a story or epic for a task or bug (anything else is refused). It must be in the same project.</summary>
    public Guid? ParentId { get; set; }

    /// <summary>Gets or sets the sprint, which must be in the same project.</summary>
    public Guid? SprintId { get; set; }

    /// <summary>Gets or sets the estimated effort in hours (0 to 999999.99, at most two decimals: more are refused, not rounded).</summary>
    public decimal? EstimatedHours { get; set; }

    /// <summary>Gets or sets the capabilities an agent needs to claim the item (empty for none, never <see langword="null"/>); names are trimmed and lowercased.</summary>
    public IReadOnlyCollection<string> RequiredCapabilities { get; set; } = [];

    /// <summary>
    /// Gets or sets the items this one waits for until they are done (empty for none, never <see langword="null"/>; at
    /// most 500). Each must exist, be in the same project and appear once. They are stored in the same transaction as the
    /// item, so no agent can claim it before they are recorded, and a refused one leaves neither the item nor any of them.
    /// </summary>
    public IReadOnlyCollection<Guid> DependsOn { get; set; } = [];
}
