namespace AgentOrchestration.Data.Sessions;

/// <summary>
/// Marks sessions that stopped heartbeating as failed, releases their file locks and returns their work to the queue
/// (see <see cref="ISessionService"/> for the work a session owns).
/// </summary>
/// <remarks>
/// A session is silent when it is active (or paused, see <see cref="SessionReaperOptions.IncludePaused"/>) and its last
/// heartbeat, or its start time if it never heartbeated, is more than the timeout ago. Each session is reaped in its own
/// transaction, holding the same per-session lock as <see cref="ISessionService"/> and re-checking silence inside it:
/// its status (failed, end time now), the deletion of its file locks, the cancelled assignments, the requeued work items
/// and the events <c>session.reaped</c>, <c>work_item.requeued</c> and <c>file_lock.released</c> (or <c>file_lock.expired</c>,
/// written by <see cref="Locks.IFileLockService.ReleaseAllAsync"/> joining the transaction) commit together or not at all. Several reapers may run at once, in one process or many: each session is reaped exactly once, and a session
/// that heartbeats meanwhile is left alone. A failure on one session does not undo the sessions reaped before it. Time
/// worked on a started (or just claimed) assignment is added to the item's <c>actual_hours</c> up to the session's last heartbeat.
/// </remarks>
public interface ISessionReaper
{
    /// <summary>Reaps every session silent for longer than <paramref name="timeout"/>.</summary>
    /// <param name="timeout">How long a session may stay silent; <see langword="null"/> uses <see cref="SessionReaperOptions.Timeout"/>.</param>
    /// <param name="cancellationToken">A token to cancel the operation; sessions already reaped stay reaped.</param>
    /// <returns>What this run reaped (another reaper's work is not counted).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is not positive.</exception>
    Task<SessionReapResult> ReapAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default);
}
