using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Delegation;

/// <summary>
/// Delegates work items to agents or users through the delegation state machine
/// (unassigned → assigned → in_progress ⇄ blocked → completed). Every change updates <c>work_items</c>,
/// <c>task_assignments</c>, the delegation history and the event log in one transaction, or refuses with
/// <see cref="InvalidStateTransitionException"/> naming the current and requested state and changes nothing.
/// </summary>
public interface IDelegationService
{
    /// <summary>Assigns an unassigned work item.</summary>
    /// <param name="workItemId">The work item.</param>
    /// <param name="assignee">The agent (must be active) or user.</param>
    /// <param name="options">Actor, context and note.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The updated work item.</returns>
    Task<WorkItem> AssignAsync(Guid workItemId, Assignee assignee, DelegationOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Starts assigned work (assignment <c>started</c>, work item <c>in_progress</c>).</summary>
    /// <param name="workItemId">The work item.</param>
    /// <param name="options">Actor, fencing token and note.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The updated work item.</returns>
    Task<WorkItem> StartAsync(Guid workItemId, DelegationOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Pauses started work; the time worked so far is added to <c>actual_hours</c>.</summary>
    /// <param name="workItemId">The work item.</param>
    /// <param name="options">Actor, fencing token and note.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The updated work item.</returns>
    Task<WorkItem> PauseAsync(Guid workItemId, DelegationOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Resumes paused work.</summary>
    /// <param name="workItemId">The work item.</param>
    /// <param name="options">Actor, fencing token and note.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The updated work item.</returns>
    Task<WorkItem> ResumeAsync(Guid workItemId, DelegationOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Blocks work in progress (delegation <c>blocked</c>, assignment <c>paused</c>, work item <c>blocked</c>).</summary>
    /// <param name="workItemId">The work item.</param>
    /// <param name="reason">What it waits on (1 to 2000 characters).</param>
    /// <param name="options">Actor and fencing token.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The updated work item.</returns>
    Task<WorkItem> BlockAsync(Guid workItemId, string reason, DelegationOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Unblocks blocked work (back to <c>in_progress</c>).</summary>
    /// <param name="workItemId">The work item.</param>
    /// <param name="options">Actor, fencing token and note.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The updated work item.</returns>
    Task<WorkItem> UnblockAsync(Guid workItemId, DelegationOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Completes work in progress (delegation <c>completed</c>, work item <c>done</c>); time worked is added to <c>actual_hours</c>.</summary>
    /// <param name="workItemId">The work item.</param>
    /// <param name="options">Actor, fencing token and note.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The updated work item.</returns>
    /// <exception cref="QaGateException">The work item is a task or bug and a QA type its implementing session's oversight level requires lacks a passing latest result (see <see cref="Qa.IQaService"/>).</exception>
    Task<WorkItem> CompleteAsync(Guid workItemId, DelegationOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Withdraws the delegation: the assignment is cancelled and the item is unassigned and back in the queue.</summary>
    /// <param name="workItemId">The work item.</param>
    /// <param name="options">Actor, fencing token and note.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The updated work item.</returns>
    Task<WorkItem> CancelAsync(Guid workItemId, DelegationOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Moves assigned, started or blocked work to another assignee: the old assignment is cancelled, a new one made.</summary>
    /// <param name="workItemId">The work item.</param>
    /// <param name="assignee">The new agent (must be active) or user.</param>
    /// <param name="options">Actor, fencing token, context and note.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The updated work item.</returns>
    Task<WorkItem> ReassignAsync(Guid workItemId, Assignee assignee, DelegationOptions? options = null, CancellationToken cancellationToken = default);
}
