using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Sprints;

/// <summary>
/// Sprints: plan, start, complete, add and remove work, and read progress.
/// <code>
/// planned --start--> active --complete--> completed (final)
/// </code>
/// A project has at most one active sprint. Work is added to and removed from planned or active sprints of the same
/// project; a completed sprint is frozen. Completing returns the unfinished items to no sprint. Every change is
/// serialized per project, appends events in the same transaction, and a refusal leaves the database unchanged.
/// </summary>
public interface ISprintService
{
    /// <summary>Plans a sprint in a project, status <c>planned</c>.</summary>
    /// <param name="plan">The sprint.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The stored sprint.</returns>
    /// <exception cref="ArgumentException">The name is empty or too long, or the sprint ends before it starts.</exception>
    /// <exception cref="EntityNotFoundException">The project does not exist.</exception>
    Task<Sprint> PlanAsync(SprintPlan plan, CancellationToken cancellationToken = default);

    /// <summary>Starts a planned sprint (<c>planned</c> → <c>active</c>); a missing <c>starts_at</c> becomes now.</summary>
    /// <param name="sprintId">The sprint.</param>
    /// <param name="actor">Who starts it, recorded as the event's actor.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The active sprint.</returns>
    /// <exception cref="InvalidStateTransitionException">The sprint is not <c>planned</c>.</exception>
    /// <exception cref="SprintAlreadyActiveException">Another sprint of the project is active; the exception names it.</exception>
    Task<Sprint> StartAsync(Guid sprintId, string? actor = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Completes an active sprint (<c>active</c> → <c>completed</c>); a missing <c>ends_at</c> becomes now. Items that are
    /// <c>done</c> or <c>cancelled</c> stay in the sprint; every other item leaves it (its <c>sprint_id</c> is cleared), and
    /// the result lists both.
    /// </summary>
    /// <param name="sprintId">The sprint.</param>
    /// <param name="actor">Who completes it, recorded as the event's actor.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The completed sprint with its finished and returned items.</returns>
    /// <exception cref="InvalidStateTransitionException">The sprint is not <c>active</c>.</exception>
    Task<SprintCompletion> CompleteAsync(Guid sprintId, string? actor = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Plans work items into a planned or active sprint, all or nothing. An item in another planned or active sprint moves;
    /// an item already in this sprint is left as it is.
    /// </summary>
    /// <param name="sprintId">The sprint.</param>
    /// <param name="workItemIds">The items (1 to 1000), of the sprint's project.</param>
    /// <param name="actor">Who adds them, recorded as the events' actor.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>How many items were added (moved in).</returns>
    /// <exception cref="InvalidStateTransitionException">The sprint is completed, or an item belongs to a completed sprint.</exception>
    /// <exception cref="ProjectIsolationException">An item belongs to another project.</exception>
    /// <exception cref="EntityNotFoundException">The sprint or an item does not exist.</exception>
    Task<int> AddWorkAsync(Guid sprintId, IReadOnlyCollection<Guid> workItemIds, string? actor = null, CancellationToken cancellationToken = default);

    /// <summary>Takes work items out of a planned or active sprint, all or nothing; items not in the sprint are left as they are.</summary>
    /// <param name="sprintId">The sprint.</param>
    /// <param name="workItemIds">The items (1 to 1000).</param>
    /// <param name="actor">Who removes them, recorded as the events' actor.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>How many items were removed.</returns>
    /// <exception cref="InvalidStateTransitionException">The sprint is completed.</exception>
    /// <exception cref="EntityNotFoundException">The sprint or an item does not exist.</exception>
    Task<int> RemoveWorkAsync(Guid sprintId, IReadOnlyCollection<Guid> workItemIds, string? actor = null, CancellationToken cancellationToken = default);

    /// <summary>Reads a sprint's progress: items by status, estimated against actual hours, and each agent's workload, from one grouped query.</summary>
    /// <param name="sprintId">The sprint.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The progress.</returns>
    /// <exception cref="EntityNotFoundException">The sprint does not exist.</exception>
    Task<SprintProgress> GetProgressAsync(Guid sprintId, CancellationToken cancellationToken = default);

    /// <summary>Reads a project's active sprint.</summary>
    /// <param name="projectId">The project.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The active sprint, untracked, or <see langword="null"/>.</returns>
    Task<Sprint?> GetActiveAsync(Guid projectId, CancellationToken cancellationToken = default);
}
