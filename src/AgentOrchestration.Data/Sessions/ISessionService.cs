using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Sessions;

/// <summary>
/// Starts, heartbeats, pauses, resumes and ends agent sessions. A session is <c>active ⇄ paused → completed | failed |
/// halted</c>; every change is validated (an <see cref="InvalidStateTransitionException"/> names the current and requested
/// state) and appends to the event log in the same transaction; a refused call changes nothing.
/// </summary>
/// <remarks>
/// <para>
/// <b>The work a session owns</b> (renewed by <see cref="HeartbeatAsync"/>, returned to the queue when the session fails,
/// is halted or is reaped) is claimed work: the current, active assignment with a lease (see <see cref="Claims.IWorkClaimer"/>)
/// of each work item in the session's project that is held by the session's agent and either names the session in
/// <see cref="WorkItem.AssignedAgentSession"/> or, when it names no other live (active or paused) session, belongs to an
/// agent that has no other live session in the project. An agent running several sessions at once in one project links
/// its work with <see cref="WorkItem.AssignedAgentSession"/>, so one session's failure never takes another's work. A
/// session without an agent owns no work, and work delegated to an agent without a lease stays with the agent (cancel or
/// reassign it through <see cref="Delegation.IDelegationService"/>).
/// </para>
/// </remarks>
public interface ISessionService
{
    /// <summary>Starts an active session; its start time and first heartbeat are now.</summary>
    /// <param name="start">The session to start.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The new session.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="start"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The session key is empty, longer than 200 characters or has characters outside the allowed set; or the story or task is a work item of the wrong type.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The risk level is outside 0 to <see cref="SessionStart.MaxRiskLevel"/>, or the agent type or oversight level is undefined.</exception>
    /// <exception cref="DuplicateValueException">A session with the key already exists.</exception>
    /// <exception cref="EntityNotFoundException">The project, agent, story, backlog item or task does not exist.</exception>
    /// <exception cref="ProjectIsolationException">The story, backlog item or task belongs to another project.</exception>
    /// <exception cref="InvalidStateTransitionException">The agent is not active.</exception>
    Task<AgentSession> StartAsync(SessionStart start, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records that the session is alive (active or paused): sets its last heartbeat to now and, when
    /// <paramref name="currentAction"/> is not <see langword="null"/>, its current action. It also renews the leases of the
    /// work the session owns (see the remarks of <see cref="ISessionService"/>) to at least now plus
    /// <paramref name="leaseDuration"/>; a lease is never shortened, and one that already expired is not revived.
    /// Heartbeats are liveness, not state changes: they append no event.
    /// </summary>
    /// <param name="sessionId">The session key.</param>
    /// <param name="currentAction">What the agent is doing now; <see langword="null"/> keeps the current value.</param>
    /// <param name="leaseDuration">How long the renewed leases last from now; <see langword="null"/> uses the default of <see cref="Claims.ClaimOptions"/>.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The session after the heartbeat.</returns>
    /// <exception cref="ArgumentException"><paramref name="sessionId"/> is empty or longer than 200 characters.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="leaseDuration"/> is not positive or exceeds <see cref="Claims.ClaimOptions.MaxLeaseDuration"/>.</exception>
    /// <exception cref="EntityNotFoundException">No session has the key.</exception>
    /// <exception cref="InvalidStateTransitionException">The session has ended (completed, failed or halted).</exception>
    Task<AgentSession> HeartbeatAsync(string sessionId, string? currentAction = null, TimeSpan? leaseDuration = null, CancellationToken cancellationToken = default);

    /// <summary>Pauses an active session. A paused session keeps heartbeating: the reaper treats a silent paused session as dead (see <see cref="SessionReaperOptions.IncludePaused"/>).</summary>
    /// <param name="sessionId">The session key.</param>
    /// <param name="reason">Why, recorded in the event.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The paused session.</returns>
    /// <exception cref="ArgumentException"><paramref name="sessionId"/> is empty or longer than 200 characters.</exception>
    /// <exception cref="EntityNotFoundException">No session has the key.</exception>
    /// <exception cref="InvalidStateTransitionException">The session is not active.</exception>
    Task<AgentSession> PauseAsync(string sessionId, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>Resumes a paused session; resuming counts as a heartbeat.</summary>
    /// <param name="sessionId">The session key.</param>
    /// <param name="reason">Why, recorded in the event.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The active session.</returns>
    /// <exception cref="ArgumentException"><paramref name="sessionId"/> is empty or longer than 200 characters.</exception>
    /// <exception cref="EntityNotFoundException">No session has the key.</exception>
    /// <exception cref="InvalidStateTransitionException">The session is not paused.</exception>
    Task<AgentSession> ResumeAsync(string sessionId, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Ends an active or paused session, in one transaction: sets the outcome and end time, releases every file lock the
    /// session holds (through <see cref="Locks.IFileLockService.ReleaseAllAsync"/>, joining the transaction: its
/// <c>file_locks</c> rows are deleted and its <see cref="AgentSession.FileLocks"/> list emptied)
    /// and, when the outcome is <see cref="SessionStatus.Failed"/> or <see cref="SessionStatus.Halted"/>, returns the work
    /// it owns to the queue (assignments cancelled, items unassigned and claimable at once). A completed session leaves
    /// its work alone: complete or release it through <see cref="Claims.IWorkClaimer"/>, or its leases run out.
    /// </summary>
    /// <param name="sessionId">The session key.</param>
    /// <param name="outcome"><see cref="SessionStatus.Completed"/>, <see cref="SessionStatus.Failed"/> or <see cref="SessionStatus.Halted"/>.</param>
    /// <param name="reason">Why, recorded in the events and the work items' history.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The ended session.</returns>
    /// <exception cref="ArgumentException"><paramref name="sessionId"/> is empty or longer than 200 characters.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="outcome"/> is not an end state.</exception>
    /// <exception cref="EntityNotFoundException">No session has the key.</exception>
    /// <exception cref="InvalidStateTransitionException">The session has already ended.</exception>
    Task<AgentSession> EndAsync(string sessionId, SessionStatus outcome, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>Reads a session (not tracked).</summary>
    /// <param name="sessionId">The session key.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The session, or <see langword="null"/> when no session has the key.</returns>
    /// <exception cref="ArgumentException"><paramref name="sessionId"/> is empty or longer than 200 characters.</exception>
    Task<AgentSession?> GetAsync(string sessionId, CancellationToken cancellationToken = default);
}
