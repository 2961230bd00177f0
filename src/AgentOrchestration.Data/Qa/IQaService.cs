using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Qa;

/// <summary>
/// Records QA results of tasks and bugs and keeps their QA state (not_started → in_qa → qa_passed | qa_failed → in_qa …).
/// A result must come from a session other than the one implementing the task; a failing result sends the work back to
/// its holder with the remediation; completion (<c>IDelegationService.CompleteAsync</c>, <c>IWorkClaimer.CompleteAsync</c>)
/// is refused with <see cref="QaGateException"/> while a type required by the implementing session's oversight level
/// (see <see cref="QaPolicy"/>) lacks a passing latest result. Every change appends events in the same transaction.
/// </summary>
public interface IQaService
{
    /// <summary>
    /// Records a QA result. The task enters QA first if it was <c>not_started</c> or <c>qa_failed</c> (held work moves to
    /// <c>in_review</c>); then a failing result makes it <c>qa_failed</c> and sends it back (<c>in_review</c> → <c>in_progress</c>,
    /// delegation unchanged, the remediation in the history and events); otherwise it becomes <c>qa_passed</c> when every
    /// required type's latest result passes, else stays <c>in_qa</c>. A <c>success_criteria</c> result sets the task's
    /// <c>success_criteria_met</c>.
    /// </summary>
    /// <param name="result">The result.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The stored result.</returns>
    /// <exception cref="ArgumentException">The input is not valid (session key, findings, remediation, success criteria that contradict the status, a work item that is not a task or bug).</exception>
    /// <exception cref="ArgumentOutOfRangeException">The QA type or status is not defined.</exception>
    /// <exception cref="EntityNotFoundException">The task or the session does not exist.</exception>
    /// <exception cref="SessionNotActiveException">The reviewing session is not active.</exception>
    /// <exception cref="ProjectIsolationException">The reviewing session belongs to another project.</exception>
    /// <exception cref="QaSelfReviewException">The reviewing session implements the task.</exception>
    /// <exception cref="InvalidStateTransitionException">The task is done or cancelled.</exception>
    Task<QaResult> RecordResultAsync(NewQaResult result, CancellationToken cancellationToken = default);

    /// <summary>
    /// Puts a task in QA explicitly (<c>not_started</c> or <c>qa_failed</c> → <c>in_qa</c>; held work moves to
    /// <c>in_review</c>), so dashboards show it under review before the first result. Recording a result does the same implicitly.
    /// </summary>
    /// <param name="taskId">The task or bug.</param>
    /// <param name="sessionId">The reviewing session, with the same rules as for <see cref="RecordResultAsync"/>.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The updated task.</returns>
    /// <exception cref="InvalidStateTransitionException">The task is already <c>in_qa</c> or <c>qa_passed</c>, or is done or cancelled.</exception>
    Task<WorkItem> StartQaAsync(Guid taskId, string sessionId, CancellationToken cancellationToken = default);

    /// <summary>Reads a task's QA state: its oversight level, the required types, the latest result of each type, and what is missing.</summary>
    /// <param name="taskId">The work item (epics and stories have no required types).</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The state.</returns>
    /// <exception cref="EntityNotFoundException">The work item does not exist.</exception>
    Task<QaState> GetStateAsync(Guid taskId, CancellationToken cancellationToken = default);

    /// <summary>Lists every QA result of a task, oldest first.</summary>
    /// <param name="taskId">The work item.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The results, possibly none.</returns>
    Task<IReadOnlyList<QaResult>> ListResultsAsync(Guid taskId, CancellationToken cancellationToken = default);
}
