using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Modeling;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace AgentOrchestration.Data.Storage;

/// <summary>
/// What differs between databases, implemented in the provider packages (AgentOrchestration.Data.Sqlite and
/// AgentOrchestration.Data.PostgreSql) and found by <see cref="OrchestrationProviders"/> from the context's EF Core provider.
/// </summary>
internal interface IOrchestrationProvider
{
    /// <summary>
    /// Gets a value indicating whether expiries are judged by the database server's clock (PostgreSQL, shared by many
    /// machines) rather than the calling machine's (SQLite, on one machine).
    /// </summary>
    bool HasServerClock { get; }

    /// <summary>
    /// The database server's time, when <see cref="HasServerClock"/>: with <paramref name="afterLock"/>, the time the newest
    /// lock of the context's current transaction was granted (read by the locking statement itself, so no extra round
    /// trip); otherwise, or without such a lock, read from the server.
    /// </summary>
    /// <param name="context">The context whose connection reads the time.</param>
    /// <param name="afterLock">Whether the decision follows a lock just taken in the current transaction.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The server's time (UTC, microseconds).</returns>
    Task<DateTimeOffset> ServerNowAsync(DbContext context, bool afterLock, CancellationToken cancellationToken);

    /// <summary>
    /// Begins a transaction in which no other writer of the same <paramref name="scope"/> runs until it ends:
    /// SQLite takes the database write lock up front (<c>BEGIN IMMEDIATE</c>, retried asynchronously while busy);
    /// PostgreSQL takes a transaction-scoped advisory lock on the scope. Inside a transaction the caller opened, it joins
    /// that transaction (<see cref="JoinAsync"/>) and the lock is held until the caller ends it.
    /// </summary>
    /// <param name="context">The context whose connection runs the transaction.</param>
    /// <param name="scope">What to serialize on, such as <c>locks:{projectId}</c>.</param>
    /// <param name="cancellationToken">A token to cancel the wait.</param>
    /// <returns>The transaction; commit or dispose it.</returns>
    Task<IDbContextTransaction> BeginSerializedAsync(DbContext context, string scope, CancellationToken cancellationToken);

    /// <summary>
    /// Begins a transaction holding the write lock of one work item, so a holder's write and a concurrent claim of the
    /// same item cannot interleave: PostgreSQL locks the row (<c>FOR NO KEY UPDATE</c>); SQLite takes the database write lock.
    /// </summary>
    /// <param name="context">The context whose connection runs the transaction.</param>
    /// <param name="workItemId">The work item to lock.</param>
    /// <param name="cancellationToken">A token to cancel the wait.</param>
    /// <returns>The transaction; commit or dispose it.</returns>
    Task<IDbContextTransaction> BeginWorkItemTransactionAsync(DbContext context, Guid workItemId, CancellationToken cancellationToken);

    /// <summary>
    /// Joins the caller's transaction <paramref name="ambient"/> for one library write, under a savepoint (see
    /// <see cref="JoinedTransaction"/>), after checking that its isolation level keeps the write's guarantees.
    /// </summary>
    /// <param name="context">The context whose connection runs the transaction.</param>
    /// <param name="ambient">The caller's transaction.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The joined transaction; commit it when the write succeeded, dispose it in every case.</returns>
    /// <exception cref="UnsupportedIsolationLevelException">PostgreSQL: the caller's transaction is not READ COMMITTED.</exception>
    Task<IDbContextTransaction> JoinAsync(DbContext context, IDbContextTransaction ambient, CancellationToken cancellationToken);

    /// <summary>
    /// Claims up to <see cref="ClaimRequest.AssignmentIds"/>.Count ready items atomically: never two winners for one item.
    /// Returns nothing when the agent is missing, not active, at its limit, or nothing is ready.
    /// </summary>
    /// <param name="context">The context whose connection runs the claim.</param>
    /// <param name="request">The claim.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The claimed items in priority order.</returns>
    Task<IReadOnlyList<ClaimRow>> ClaimAsync(DbContext context, ClaimRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Adds to a model being built what only this database has (PostgreSQL: the event feed's ordering key, horizon
    /// sequence and channel), after the library's configurations; a model of another database is left as it is. Runs
    /// inside <c>ApplyAgentOrchestration</c>, for every provider package installed.
    /// </summary>
    /// <param name="modelBuilder">The model being built.</param>
    /// <param name="names">The model's schema and prefix.</param>
    void ConfigureModel(ModelBuilder modelBuilder, SchemaNames names);

    /// <summary>
    /// The CHECK that keeps an enum column to its stored values on a model of this database, or <see langword="null"/>
    /// for a model of another database (the model then takes the portable <c>"column" IN (...)</c>).
    /// </summary>
    /// <param name="modelBuilder">The model being built.</param>
    /// <param name="column">The column.</param>
    /// <param name="values">Its stored values (lowercase snake_case).</param>
    /// <returns>The constraint's SQL, or <see langword="null"/>.</returns>
    string? EnumCheckSql(ModelBuilder modelBuilder, string column, IReadOnlyList<string> values);

    /// <summary>
    /// Gets a value indicating whether this database completes and renews leases in one statement
    /// (<see cref="TryCompleteClaimsAsync"/>, <see cref="TryRenewAsync"/>), and has the one-round-trip heartbeat and file
    /// lock writes (<see cref="TryHeartbeatAsync"/>, <see cref="TryAcquireFileLocksAsync"/>, <see cref="TryReleaseFileLocksAsync"/>,
    /// <see cref="TryRenewFileLocksAsync"/>);
    /// otherwise the general path does it all.
    /// </summary>
    bool HasOneStatementLeases { get; }

    /// <summary>
    /// The fast path of completing claimed work: completes every lease of <paramref name="request"/> in one round trip when
    /// each is still held, its item may complete and passes the QA gate, and writes nothing otherwise (the caller then takes
    /// the general path, which refuses with the precise reason). Only called outside a caller's transaction.
    /// </summary>
    /// <param name="context">The context whose connection runs the statement.</param>
    /// <param name="request">The leases, the deciding clock and the QA policy.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns><see langword="true"/> when every lease was completed; <see langword="false"/> when nothing was written.</returns>
    Task<bool> TryCompleteClaimsAsync(DbContext context, CompletionRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// The fast path of completing a lease and claiming next: <paramref name="completion"/> as
    /// <see cref="TryCompleteClaimsAsync"/> makes it, then <paramref name="claim"/> as <see cref="ClaimAsync"/> makes it
    /// (seeing the completion), in one round trip and one transaction; the claim claims only when the completion wrote.
    /// <see langword="null"/> when not sent (this database has no such path, or another such call of this process is in
    /// flight on it): the caller then makes each part as its own call. Only called outside a caller's transaction.
    /// </summary>
    /// <param name="context">The context whose connection runs the statements.</param>
    /// <param name="completion">The one lease to complete, the deciding clock and the QA policy.</param>
    /// <param name="claim">The claim that follows, for one item.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>What was written, or <see langword="null"/> when nothing was sent.</returns>
    Task<CompleteAndClaimResult?> TryCompleteAndClaimAsync(DbContext context, CompletionRequest completion, ClaimRequest claim, CancellationToken cancellationToken);

    /// <summary>
    /// The fast path of renewing a lease: one round trip when the lease is still held; <see langword="null"/> (nothing
    /// written) otherwise, and the caller takes the general path. Only called outside a caller's transaction.
    /// </summary>
    /// <param name="context">The context whose connection runs the statement.</param>
    /// <param name="lease">The lease.</param>
    /// <param name="duration">The new lease duration, from now.</param>
    /// <param name="clock">The deciding clock, or <see langword="null"/> for the server's.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The renewed work, or <see langword="null"/>.</returns>
    Task<ClaimedWork?> TryRenewAsync(DbContext context, WorkLease lease, TimeSpan duration, TimeProvider? clock, CancellationToken cancellationToken);

    /// <summary>
    /// The fast path of a heartbeat: one round trip, under the same locks as the general path, when the session is live
    /// (the heartbeat, the new current action with its event, the owned leases renewed); <see langword="null"/> (nothing
    /// written) otherwise, and the caller takes the general path, which refuses precisely. Only called outside a caller's transaction.
    /// </summary>
    /// <param name="context">The context whose connection runs the statement.</param>
    /// <param name="request">The heartbeat.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The session as written and how many events it appended, or <see langword="null"/>.</returns>
    Task<HeartbeatResult?> TryHeartbeatAsync(DbContext context, HeartbeatStatement request, CancellationToken cancellationToken);

    /// <summary>
    /// The fast path of acquiring file locks: one round trip, under the same locks as the general path, when the session is
    /// active, holds none of the paths and no expired lock, and no live lock of another session in the project could
    /// overlap a requested path (a conservative test, <see cref="Locks.LockPatterns.LiteralPrefix"/>); inserts the locks,
    /// their events and the session's list. When live locks of other sessions conflict with it (for an active session),
    /// throws the general path's <see cref="FileLockConflictException"/> (<see cref="Locks.FileLockService.Refusal"/>),
    /// nothing written. <see langword="null"/> (nothing written) otherwise: the general path decides exactly. Only called
    /// outside a caller's transaction.
    /// </summary>
    /// <param name="context">The context whose connection runs the statement.</param>
    /// <param name="request">The acquisition.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>What was granted, or <see langword="null"/>.</returns>
    Task<FileLockGrant?> TryAcquireFileLocksAsync(DbContext context, FileLockAcquisition request, CancellationToken cancellationToken);

    /// <summary>
    /// The fast path of releasing file locks: one round trip, under the session's row lock at least (deleting locks never
    /// lets two sessions overlap, so it need not wait for the project's lock scope), when the session exists and holds no
    /// expired lock; deletes the requested locks it holds, with their events and the session's list.
    /// <see langword="null"/> (nothing written) otherwise. Only called outside a caller's transaction.
    /// </summary>
    /// <param name="context">The context whose connection runs the statement.</param>
    /// <param name="request">The release.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>What was released, or <see langword="null"/>.</returns>
    Task<FileLockReleaseResult?> TryReleaseFileLocksAsync(DbContext context, FileLockRelease request, CancellationToken cancellationToken);

    /// <summary>
    /// The fast path of renewing file locks: one round trip, under the same locks as the general path, when the session is
    /// active and holds no expired lock; extends every lock it holds, with their events and the session's list.
    /// <see langword="null"/> (nothing written) otherwise. Only called outside a caller's transaction.
    /// </summary>
    /// <param name="context">The context whose connection runs the statement.</param>
    /// <param name="request">The renewal.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>What was renewed, or <see langword="null"/>.</returns>
    Task<FileLockRenewalResult?> TryRenewFileLocksAsync(DbContext context, FileLockRenewal request, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="exception"/> (or an inner one) is this database's unique-constraint violation.</summary>
    /// <param name="exception">The exception a write threw.</param>
    /// <returns><see langword="true"/> for a unique violation.</returns>
    bool IsUniqueViolation(Exception exception);

    /// <summary>
    /// Whether <paramref name="exception"/> itself (not an exception it wraps: the caller walks those) is a fault of this
    /// database's connection or server, such as a terminated backend or a database locked beyond its timeout.
    /// </summary>
    /// <param name="exception">An exception a database call threw, or one it wraps.</param>
    /// <returns>What the fault is, or <see cref="Faults.FaultKind.None"/>.</returns>
    Faults.FaultKind ClassifyFault(Exception exception);

    /// <summary>Finds the position of the event <paramref name="sequence"/>, or <see langword="null"/> when there is none.</summary>
    /// <param name="context">The context to read through.</param>
    /// <param name="sequence">The event's sequence (greater than 0).</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The cursor, or <see langword="null"/>.</returns>
    Task<EventCursor?> FindEventCursorAsync(DbContext context, long sequence, CancellationToken cancellationToken);

    /// <summary>
    /// Reads up to <paramref name="take"/> events after <paramref name="after"/> in the log's order, only events that no
    /// still-running transaction can precede (on SQLite, every committed event).
    /// </summary>
    /// <param name="context">The context to read through.</param>
    /// <param name="after">Where the reader stands.</param>
    /// <param name="take">The page size.</param>
    /// <param name="projectId">Only this project's events, or all.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The page.</returns>
    Task<EventBatch> ReadEventsAsync(DbContext context, EventCursor after, int take, Guid? projectId, CancellationToken cancellationToken);

    /// <summary>Starts waiting for new events of the context's log: <c>LISTEN</c> on PostgreSQL (before the first read, so nothing is missed), a timer on SQLite.</summary>
    /// <param name="context">A context of the watched database; only its connection settings are used.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The wakeup; dispose it when the watch ends.</returns>
    Task<IEventWakeup> ListenForEventsAsync(DbContext context, CancellationToken cancellationToken);

    /// <summary>
    /// The oldest open transaction that holds the event feed back (it wrote an event and has not ended), or
    /// <see langword="null"/> when none does. Only PostgreSQL's feed can be held back: SQLite returns <see langword="null"/>.
    /// </summary>
    /// <param name="context">The context to read through.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The oldest writer, or <see langword="null"/>.</returns>
    Task<EventFeedWriter?> FindOldestEventFeedWriterAsync(DbContext context, CancellationToken cancellationToken);
}

/// <summary>A heartbeat for <see cref="IOrchestrationProvider.TryHeartbeatAsync"/>.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="CurrentAction">The new current action, or <see langword="null"/> to keep it.</param>
/// <param name="LeaseDuration">The owned leases' new duration, from now.</param>
/// <param name="Clock">The deciding clock, or <see langword="null"/> for the server's.</param>
internal sealed record HeartbeatStatement(string SessionId, string? CurrentAction, TimeSpan LeaseDuration, TimeProvider? Clock);

/// <summary>A heartbeat's fast path result: the session as the general path returns it, and the events appended.</summary>
internal sealed record HeartbeatResult(Entities.AgentSession Session, int Events);

/// <summary>An acquisition for <see cref="IOrchestrationProvider.TryAcquireFileLocksAsync"/>: normalised distinct paths, each with the new lock's id.</summary>
internal sealed record FileLockAcquisition(string SessionId, IReadOnlyList<string> Paths, IReadOnlyList<Guid> Ids, Entities.FileLockType LockType, TimeSpan Ttl, TimeProvider? Clock);

/// <summary>A granted acquisition: the session's project and agent, and the time it was decided at (UTC, microseconds).</summary>
internal sealed record FileLockGrant(Guid ProjectId, Guid? AgentId, DateTimeOffset Now);

/// <summary>A release for <see cref="IOrchestrationProvider.TryReleaseFileLocksAsync"/>: normalised distinct paths, or every lock of the session (<paramref name="All"/>, <paramref name="Paths"/> empty).</summary>
internal sealed record FileLockRelease(string SessionId, IReadOnlyList<string> Paths, TimeProvider? Clock, bool All = false);

/// <summary>A release's fast path result: the session's agent and the locks deleted.</summary>
internal sealed record FileLockReleaseResult(Guid? AgentId, IReadOnlyList<Entities.FileLock> Released);

/// <summary>A renewal for <see cref="IOrchestrationProvider.TryRenewFileLocksAsync"/>.</summary>
internal sealed record FileLockRenewal(string SessionId, TimeSpan Ttl, TimeProvider? Clock);

/// <summary>A renewal's fast path result: the session's agent and its locks as renewed (expiry now + TTL), by ordinal path.</summary>
internal sealed record FileLockRenewalResult(Guid? AgentId, IReadOnlyList<Entities.FileLock> Renewed);

/// <summary>An open transaction holding the event feed back: its server process, application, state and age.</summary>
internal sealed record EventFeedWriter(int Pid, string Application, string State, double Seconds);
