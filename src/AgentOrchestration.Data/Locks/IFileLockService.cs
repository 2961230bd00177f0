using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Locks;

/// <summary>
/// File locks between the sessions of one project: acquire a set of paths or patterns all-or-nothing, exclusive or shared,
/// with a time-to-live; renew; release; and ask whether paths may be written (for a pre-commit hook). Registered (scoped) by
/// <c>AddAgentOrchestration</c>. TTLs are judged and stored by the database server's clock on PostgreSQL and this machine's
/// on SQLite, unless <see cref="AgentOrchestrationBuilder.UseClock"/> set one clock for the library.
/// </summary>
/// <remarks>
/// <para>
/// Paths are normalised by <see cref="LockPath.Normalize"/> (case-sensitive) and may be patterns (<c>src/**</c>,
/// <c>docs/*.md</c>); two locks conflict when their paths overlap (<see cref="LockPath.Overlaps"/>), they belong to different
/// sessions of the same project, both are live (no expiry, or an expiry after now), and at least one is exclusive. Locks of
/// one session never conflict with each other, and locks never cross projects: a session locks, renews and releases only in
/// its own project.
/// </para>
/// <para>
/// Every change runs in one transaction, serialized per session, and acquisitions and renewals also per project (a
/// release only ever removes locks, so it cannot let two sessions overlap): the <c>file_locks</c> rows, the session's
/// <c>agent_sessions.file_locks</c> JSON (always the list of the session's rows, each with its expiry) and the events
/// (<c>file_lock.acquired</c>, <c>file_lock.renewed</c>, <c>file_lock.released</c>, <c>file_lock.expired</c>, actor = the session
/// key) commit together. A session's own expired locks are deleted, with a <c>file_lock.expired</c> event, whenever it
/// acquires, renews or releases. Refused calls (bad arguments, unknown or inactive session, conflicts) change nothing.
/// </para>
/// </remarks>
public interface IFileLockService
{
    /// <summary>
    /// Locks every path in <paramref name="paths"/> for the session, or none. A path the session already holds live is
    /// refreshed: its expiry becomes now + <paramref name="ttl"/> and its mode the stronger of held and requested (a shared
    /// lock becomes exclusive only if no other session holds an overlapping live lock; an exclusive one never silently
    /// becomes shared: release it and acquire again).
    /// </summary>
    /// <param name="sessionId">The active session taking the locks.</param>
    /// <param name="paths">1 to <see cref="FileLockLimits.MaxPathsPerCall"/> project-relative paths or patterns; duplicates after normalisation count once.</param>
    /// <param name="lockType">Exclusive (no other session may hold an overlapping path) or shared (others may share, none may hold it exclusively).</param>
    /// <param name="ttl">How long the locks live unless renewed: more than zero, at most <see cref="FileLockLimits.MaxTtl"/>.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The session's locks on the requested paths, in the order asked.</returns>
    /// <exception cref="ArgumentException">A path, the count of paths, <paramref name="ttl"/>, <paramref name="lockType"/> or <paramref name="sessionId"/> is invalid.</exception>
    /// <exception cref="EntityNotFoundException">No session has the key <paramref name="sessionId"/>.</exception>
    /// <exception cref="SessionNotActiveException">The session is not active.</exception>
    /// <exception cref="FileLockConflictException">Another session's live lock is in the way of at least one path; nothing was locked.</exception>
    /// <exception cref="InvalidOperationException">The context already has a transaction open (acquiring needs its own, serialized per project).</exception>
    Task<IReadOnlyList<FileLockInfo>> AcquireAsync(
        string sessionId, IReadOnlyCollection<string> paths, FileLockType lockType, TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>Extends every live lock of the session to now + <paramref name="ttl"/>; its expired locks are deleted, not revived.</summary>
    /// <param name="sessionId">The active session.</param>
    /// <param name="ttl">The new time-to-live: more than zero, at most <see cref="FileLockLimits.MaxTtl"/>.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The renewed locks (none if the session holds none).</returns>
    /// <exception cref="ArgumentException"><paramref name="ttl"/> or <paramref name="sessionId"/> is invalid.</exception>
    /// <exception cref="EntityNotFoundException">No session has the key <paramref name="sessionId"/>.</exception>
    /// <exception cref="SessionNotActiveException">The session is not active.</exception>
    /// <exception cref="InvalidOperationException">The context already has a transaction open (renewing needs its own, serialized per project).</exception>
    Task<IReadOnlyList<FileLockInfo>> RenewAsync(string sessionId, TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>
    /// Releases the session's own locks whose normalised path equals one of <paramref name="paths"/> (exact match: releasing
    /// <c>src/**</c> does not release a separate lock on <c>src/a.cs</c>). Only the holder can release: another session's
    /// lock on the same path is never touched, and paths the session does not hold are ignored. Any session status may release.
    /// Like <see cref="ReleaseAllAsync"/>, it joins a transaction already open on the context.
    /// </summary>
    /// <param name="sessionId">The holding session.</param>
    /// <param name="paths">1 to <see cref="FileLockLimits.MaxPathsPerCall"/> paths or patterns, as acquired (normalised first).</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The live locks released (empty if the session held none of the paths).</returns>
    /// <exception cref="ArgumentException">A path, the count of paths or <paramref name="sessionId"/> is invalid.</exception>
    /// <exception cref="EntityNotFoundException">No session has the key <paramref name="sessionId"/>.</exception>
    Task<IReadOnlyList<FileLockInfo>> ReleaseAsync(string sessionId, IReadOnlyCollection<string> paths, CancellationToken cancellationToken = default);

    /// <summary>
    /// Releases every lock of the session (call it when the session ends); any session status may release. If the context
    /// already has a transaction open, the release joins it and commits or rolls back with it, so a host can end a session and
    /// release its locks atomically: update the session row first, then release, in that transaction.
    /// </summary>
    /// <param name="sessionId">The holding session.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The live locks released.</returns>
    /// <exception cref="ArgumentException"><paramref name="sessionId"/> is invalid.</exception>
    /// <exception cref="EntityNotFoundException">No session has the key <paramref name="sessionId"/>.</exception>
    Task<IReadOnlyList<FileLockInfo>> ReleaseAllAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Answers "may this session write these paths?" for a pre-commit hook, without changing anything: a path is writable
    /// when no other session holds a live lock, shared or exclusive, overlapping it. Each entry also says whether the session
    /// holds it exclusively, for hooks that require a lock before writing (<see cref="FileWriteCheck.AllHeldExclusively"/>).
    /// </summary>
    /// <param name="sessionId">The active session about to write.</param>
    /// <param name="paths">1 to <see cref="FileLockLimits.MaxPathsPerCall"/> paths (such as the output of <c>git diff --cached --name-only</c>).</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The writable paths and the locks in the way of the others.</returns>
    /// <exception cref="ArgumentException">A path, the count of paths or <paramref name="sessionId"/> is invalid.</exception>
    /// <exception cref="EntityNotFoundException">No session has the key <paramref name="sessionId"/>.</exception>
    /// <exception cref="SessionNotActiveException">The session is not active.</exception>
    Task<FileWriteCheck> CheckWriteAsync(string sessionId, IReadOnlyCollection<string> paths, CancellationToken cancellationToken = default);

    /// <summary>Lists a project's live locks (no expiry, or an expiry after now), by path, then session.</summary>
    /// <param name="projectId">The project.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The live locks.</returns>
    /// <exception cref="EntityNotFoundException">No project has the identifier <paramref name="projectId"/>.</exception>
    Task<IReadOnlyList<FileLockInfo>> GetLocksAsync(Guid projectId, CancellationToken cancellationToken = default);
}
