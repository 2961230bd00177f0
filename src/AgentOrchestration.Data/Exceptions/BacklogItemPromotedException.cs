namespace AgentOrchestration.Data;

/// <summary>Thrown when a backlog item that was already promoted to a story is promoted again or changed: promotion happens once, and a promoted item is final.</summary>
public sealed class BacklogItemPromotedException : AgentOrchestrationException
{
    /// <summary>Initializes a new instance of the <see cref="BacklogItemPromotedException"/> class.</summary>
    /// <param name="backlogItemId">The backlog item.</param>
    /// <param name="storyId">The story it was promoted to.</param>
    /// <param name="operation">What was refused, such as <c>promote</c>.</param>
    public BacklogItemPromotedException(Guid backlogItemId, Guid storyId, string operation)
        : base($"The backlog item '{backlogItemId}' was already promoted to story '{storyId}', so it cannot {operation}: an item is promoted once and is final afterwards; work on the story instead.")
    {
        BacklogItemId = backlogItemId;
        StoryId = storyId;
    }

    /// <summary>Gets the backlog item.</summary>
    public Guid BacklogItemId { get; }

    /// <summary>Gets the story the item was promoted to.</summary>
    public Guid StoryId { get; }
}
