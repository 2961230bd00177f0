using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Backlog;

/// <summary>
/// The backlog: ideas are submitted, analysed by one agent at a time, marked ready or blocked, and ready items are
/// promoted once to a story that the reviewing agent approves.
/// <code>
/// backlog --start analysis--> analyzing --mark ready--> ready --promote--> (story; the item is final)
///                              analyzing --block-----> blocked
/// blocked | ready --start analysis--> analyzing          analyzing | blocked --release--> backlog
/// </code>
/// Every change runs in a transaction serialized on the item, appends an event in the same transaction, and a refusal
/// throws a typed exception and leaves the database unchanged.
/// </summary>
public interface IBacklogService
{
    /// <summary>Adds an item to a project's backlog, status <c>backlog</c>, with the risk score of the registered <see cref="IBacklogRiskStrategy"/>.</summary>
    /// <param name="submission">The item.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The stored item.</returns>
    /// <exception cref="ArgumentException">A text is empty or too long, or the priority (1–5), business value (1–10) or complexity is out of range.</exception>
    /// <exception cref="EntityNotFoundException">The project does not exist.</exception>
    Task<BacklogItem> SubmitAsync(BacklogSubmission submission, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes an item for analysis: <c>backlog</c>, <c>blocked</c> or (not yet promoted) <c>ready</c> becomes <c>analyzing</c>,
    /// assigned to <paramref name="agent"/>. Of agents taking the same item at once exactly one wins; the others are refused.
    /// </summary>
    /// <param name="backlogItemId">The item.</param>
    /// <param name="agent">The analysing agent (1 to 200 characters), stored in <c>assigned_to_agent</c>.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The updated item.</returns>
    /// <exception cref="InvalidStateTransitionException">The item is already <c>analyzing</c>.</exception>
    /// <exception cref="BacklogItemPromotedException">The item was promoted; it is final.</exception>
    Task<BacklogItem> StartAnalysisAsync(Guid backlogItemId, string agent, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records the analysis of an <c>analyzing</c> item: risk score (or the strategy's default), revised complexity and
    /// notes, and stamps <c>last_analyzed</c>. The item stays <c>analyzing</c>; record as often as needed.
    /// </summary>
    /// <param name="backlogItemId">The item.</param>
    /// <param name="analysis">The analysis, by the agent the item is assigned to.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The updated item.</returns>
    /// <exception cref="InvalidStateTransitionException">The item is not <c>analyzing</c>.</exception>
    /// <exception cref="BacklogItemHeldException">Another agent is analysing the item.</exception>
    Task<BacklogItem> RecordAnalysisAsync(Guid backlogItemId, BacklogAnalysis analysis, CancellationToken cancellationToken = default);

    /// <summary>Concludes the analysis: <c>analyzing</c> becomes <c>ready</c> (to promote) and <c>last_analyzed</c> is stamped.</summary>
    /// <param name="backlogItemId">The item.</param>
    /// <param name="agent">The agent the item is assigned to.</param>
    /// <param name="note">An optional note for the event log (at most 2000 characters).</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The updated item.</returns>
    /// <exception cref="InvalidStateTransitionException">The item is not <c>analyzing</c>.</exception>
    /// <exception cref="BacklogItemHeldException">Another agent is analysing the item.</exception>
    Task<BacklogItem> MarkReadyAsync(Guid backlogItemId, string agent, string? note = null, CancellationToken cancellationToken = default);

    /// <summary>Concludes the analysis as blocked: <c>analyzing</c> becomes <c>blocked</c> and <c>last_analyzed</c> is stamped.</summary>
    /// <param name="backlogItemId">The item.</param>
    /// <param name="agent">The agent the item is assigned to.</param>
    /// <param name="reason">What the item waits on (1 to 2000 characters), kept in the event log.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The updated item.</returns>
    /// <exception cref="InvalidStateTransitionException">The item is not <c>analyzing</c>.</exception>
    /// <exception cref="BacklogItemHeldException">Another agent is analysing the item.</exception>
    Task<BacklogItem> BlockAsync(Guid backlogItemId, string agent, string reason, CancellationToken cancellationToken = default);

    /// <summary>
    /// Returns an item to the queue: <c>analyzing</c> (only by the agent analysing it) or <c>blocked</c> (by anyone)
    /// becomes <c>backlog</c> with no assigned agent. The recorded analysis is kept.
    /// </summary>
    /// <param name="backlogItemId">The item.</param>
    /// <param name="agent">Who releases it (1 to 200 characters).</param>
    /// <param name="reason">An optional reason for the event log (at most 2000 characters).</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The updated item.</returns>
    /// <exception cref="InvalidStateTransitionException">The item is <c>backlog</c> or <c>ready</c>.</exception>
    /// <exception cref="BacklogItemHeldException">Another agent is analysing the item.</exception>
    Task<BacklogItem> ReleaseAsync(Guid backlogItemId, string agent, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Promotes a <c>ready</c> item, once, to a story (type <c>story</c>, status <c>todo</c>, <c>created_from_backlog_id</c>
    /// set, not yet approved) with the item's title, description, success criteria and priority. The item stays
    /// <c>ready</c> and becomes final. Of concurrent promotions of one item exactly one creates a story.
    /// </summary>
    /// <param name="backlogItemId">The item.</param>
    /// <param name="promotion">Who promotes it, and the story's epic, sprint and estimate.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The new story.</returns>
    /// <exception cref="InvalidStateTransitionException">The item is not <c>ready</c>, or the sprint is completed.</exception>
    /// <exception cref="BacklogItemPromotedException">The item was promoted already; the exception names the story.</exception>
    /// <exception cref="ProjectIsolationException">The epic or sprint belongs to another project.</exception>
    Task<WorkItem> PromoteAsync(Guid backlogItemId, BacklogPromotion promotion, CancellationToken cancellationToken = default);

    /// <summary>Records the reviewing agent's approval of a story (<c>prime_approved</c>); a story is approved once.</summary>
    /// <param name="storyId">The story (a work item of type <c>story</c>).</param>
    /// <param name="agent">The reviewing agent (1 to 200 characters).</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The approved story.</returns>
    /// <exception cref="ArgumentException">The work item is not a story.</exception>
    /// <exception cref="InvalidStateTransitionException">The story is approved already.</exception>
    Task<WorkItem> ApproveStoryAsync(Guid storyId, string agent, CancellationToken cancellationToken = default);

    /// <summary>Reads one item.</summary>
    /// <param name="backlogItemId">The item.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The item, untracked, or <see langword="null"/>.</returns>
    Task<BacklogItem?> GetAsync(Guid backlogItemId, CancellationToken cancellationToken = default);

    /// <summary>Lists a project's items, most urgent first: priority, then business value (highest first), then age.</summary>
    /// <param name="projectId">The project.</param>
    /// <param name="status">Only items in this status; <see langword="null"/> for all.</param>
    /// <param name="skip">How many items to skip (paging), 0 or more.</param>
    /// <param name="take">How many items to return, 1 to 500.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The page of items, untracked.</returns>
    Task<IReadOnlyList<BacklogItem>> ListAsync(Guid projectId, BacklogStatus? status = null, int skip = 0, int take = 50, CancellationToken cancellationToken = default);
}
