using System.Collections.Concurrent;
using System.Data;
using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Sqlite.Claims;
using AgentOrchestration.Data.Sqlite.Connections;
using AgentOrchestration.Data.Sqlite.EventLog;
using AgentOrchestration.Data.Sqlite.Locking;
using AgentOrchestration.Data.Sqlite.Sessions;
using AgentOrchestration.Data.Sqlite.Storage;
using AgentOrchestration.Data.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

[assembly: OrchestrationProvider(typeof(SqliteOrchestrationProvider))]

namespace AgentOrchestration.Data.Sqlite.Storage;

/// <summary>
/// SQLite behaviour: one writer per database, so serializing means taking the write lock up front
/// (<c>BEGIN IMMEDIATE</c>). Waiting for it is SQLite's own short busy handler (in native code, with fine-grained
/// back-off) and then an asynchronous retry here, never Microsoft.Data.Sqlite's managed loop that blocks the thread
/// in 150 ms sleeps for up to the command timeout.
/// </summary>
internal sealed class SqliteOrchestrationProvider : IOrchestrationProvider
{
    /// <summary>How long SQLite itself waits for the write lock before we yield the thread and retry.</summary>
    internal const int NativeBusyTimeoutMilliseconds = SqliteConnectionSetup.NativeBusyTimeoutMilliseconds;


    /// <summary>The transactions the library began itself; operations nested in them join without a savepoint.</summary>
    private static readonly ConditionalWeakTable<IDbContextTransaction, object> Own = [];

    /// <summary>
    /// One gate per database file: writers of this process queue here asynchronously, so only one of them at a time
    /// waits on SQLite's lock; other processes are handled by the busy handler and the retry below.
    /// </summary>
    private static readonly ConcurrentDictionary<string, WriterGate> Gates = new(StringComparer.Ordinal);

    /// <summary>Per context options: whether the gate's kept connection may run the context's statements.</summary>
    private static readonly ConditionalWeakTable<IDbContextOptions, object> KeepsWriter = [];

    /// <summary>Per context options (one instance per pooled context type): whether the context owns its connection.</summary>
    private static readonly ConditionalWeakTable<IDbContextOptions, object> OwnsConnection = [];

    private static readonly object KeepOpen = new();

    private static readonly object LeaveAsFound = new();

    public Task<EventCursor?> FindEventCursorAsync(DbContext context, long sequence, CancellationToken cancellationToken) =>
        SqliteEventReader.FindCursorAsync(context, sequence, cancellationToken);

    public Task<EventBatch> ReadEventsAsync(DbContext context, EventCursor after, int take, Guid? projectId, CancellationToken cancellationToken) =>
        SqliteEventReader.ReadAsync(context, after, take, projectId, cancellationToken);

    public Task<IEventWakeup> ListenForEventsAsync(DbContext context, CancellationToken cancellationToken) =>
        Task.FromResult<IEventWakeup>(new PollingWakeup());

    /// <summary>SQLite's log is ordered by sequence alone: no transaction can hold a reader back.</summary>
    public Task<EventFeedWriter?> FindOldestEventFeedWriterAsync(DbContext context, CancellationToken cancellationToken) =>
        Task.FromResult<EventFeedWriter?>(null);

    /// <summary>Gets a value indicating that SQLite runs on one machine: its clock (the registered <see cref="TimeProvider"/>) decides.</summary>
    public bool HasServerClock => false;

    public Task<DateTimeOffset> ServerNowAsync(DbContext context, bool afterLock, CancellationToken cancellationToken) =>
        throw new NotSupportedException("SQLite has no server clock: the calling machine's clock decides.");

    public Task<IDbContextTransaction> BeginSerializedAsync(DbContext context, string scope, CancellationToken cancellationToken) =>
        BeginAsync(context, statementsOnly: false, cancellationToken);

    /// <summary>
    /// As <see cref="BeginSerializedAsync"/>, for a hot path that runs only plain statements (<see cref="SqliteStatements.Command"/>)
    /// in the transaction, never EF Core: then, while other writers of this process queue for the file, it runs on the
    /// gate's kept connection (<see cref="WriterGate"/>), whose page cache and compiled statements survive from one
    /// writer to the next.
    /// </summary>
    internal Task<IDbContextTransaction> BeginStatementsAsync(DbContext context, string scope, CancellationToken cancellationToken) =>
        BeginAsync(context, statementsOnly: true, cancellationToken);

    private async Task<IDbContextTransaction> BeginAsync(DbContext context, bool statementsOnly, CancellationToken cancellationToken)
    {
        if (context.Database.CurrentTransaction is { } ambient)
        {
            // Inside the caller's transaction: SQLite has one writer per database, so the caller's transaction decides.
            return await JoinAsync(context, ambient, cancellationToken).ConfigureAwait(false);
        }

        var file = DatabaseFile(context);
        var gate = Gates.GetOrAdd(file ?? context.Database.GetConnectionString() ?? string.Empty, static _ => new WriterGate());
        await gate.EnterAsync(cancellationToken).ConfigureAwait(false);

        // A context keeps the connection EF Core made for it open from the library's first write until it is disposed or
        // returned to its pool, so the statements the connection compiled (SqliteStatements.Command) serve every later
        // call: compiling the claim costs more than running it. A connection the host handed to its context is the
        // host's, and gets back as it was.
        var keepOpen = KeepsConnectionOpen(context);
        var open = !keepOpen || context.Database.GetDbConnection().State != ConnectionState.Open;
        try
        {
            if (open)
            {
                await context.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            gate.Leave();
            throw;
        }

        try
        {
            var connection = (SqliteConnection)context.Database.GetDbConnection();
            await PrepareAsync(connection, cancellationToken).ConfigureAwait(false);

            // Writers queued behind this one (or the kept connection still open from those before): their turns follow on
            // the kept connection, which then reads only what the other processes changed, where each context's own would
            // reread every page it needs. A lone writer stays on its own connection, with its own compiled statements.
            var kept = statementsOnly && keepOpen && file is not null && (gate.OthersWaiting || gate.HasWriter) && MayKeepWriter(context)
                ? gate.Writer(context.Database.GetConnectionString()!, connection)
                : null;
            var writer = kept ?? connection;

            // With the managed timeout (whole seconds) no longer than the native one, Microsoft.Data.Sqlite gives up as
            // soon as SQLite does, and the wait continues here without holding a thread.
            var previousTimeout = connection.DefaultTimeout;
            writer.DefaultTimeout = NativeBusyTimeoutMilliseconds / 1000;
            // Default Timeout=0 means "wait indefinitely" in Microsoft.Data.Sqlite: then only the token ends the wait.
            var giveUpAt = previousTimeout <= 0 ? long.MaxValue : Environment.TickCount64 + (previousTimeout * 1000L);

            // Last before BEGIN, so the turn covers only the transaction: the other processes' writers wait in order. The
            // turn may be the one the writer before this one in the gate left for it (WriterGate.EndTurn).
            var turn = file is null || WriterQueue.For(file) is not { } queue ? default : await gate.TurnAsync(queue, cancellationToken).ConfigureAwait(false);
            try
            {
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        if (kept is not null)
                        {
                            var begun = kept.BeginTransaction(IsolationLevel.Serializable, deferred: false);
                            gate.CountWriterTransaction();
                            return new ConnectionScopedTransaction(new KeptWriterTransaction(begun, context, gate), context, gate, turn, closeConnection: false);
                        }

                        // Microsoft.Data.Sqlite begins non-deferred transactions as BEGIN IMMEDIATE.
                        var transaction = await context.Database.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken).ConfigureAwait(false);
                        Own.AddOrUpdate(transaction, transaction);
                        return new ConnectionScopedTransaction(transaction, context, gate, turn, closeConnection: !keepOpen);
                    }
                    catch (SqliteException exception) when (exception.SqliteErrorCode is SqliteWriteLock.Busy or SqliteWriteLock.Locked)
                    {
                        if (Environment.TickCount64 >= giveUpAt)
                        {
                            // The connection's command timeout bounds the whole wait, as it would without this retry.
                            throw new TimeoutException(
                                $"The SQLite database '{connection.DataSource}' stayed locked by another writer for {previousTimeout} s (the connection's Default Timeout); nothing was written.",
                                exception);
                        }

                        await Task.Delay(SqliteWriteLock.Backoff(attempt), cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            catch
            {
                turn.Dispose();
                throw;
            }
            finally
            {
                // The statements get the context's command timeout, as on its own connection.
                writer.DefaultTimeout = previousTimeout;
            }
        }
        catch
        {
            gate.CloseWriterIfIdle();
            if (open)
            {
                await context.Database.CloseConnectionAsync().ConfigureAwait(false);
            }

            gate.Leave();
            throw;
        }
    }

    /// <summary>
    /// Every isolation level: a SQLite transaction is serializable whatever it asked for, once it holds the write lock.
    /// A deferred transaction reads in a snapshot until it first writes, so the join takes the write lock before the
    /// library reads anything; a snapshot already older than the last commit cannot take it (SQLITE_BUSY_SNAPSHOT) and
    /// is refused up front.
    /// </summary>
    public async Task<IDbContextTransaction> JoinAsync(DbContext context, IDbContextTransaction ambient, CancellationToken cancellationToken)
    {
        if (Own.TryGetValue(ambient, out _))
        {
            // An operation nested in one the library began (BEGIN IMMEDIATE): the write lock is held, the outer one ends it.
            return JoinedTransaction.Nested(ambient);
        }

        var joined = await JoinedTransaction.BeginAsync(ambient, cancellationToken).ConfigureAwait(false);
        try
        {
            await SqliteWriteLock.TakeInAsync(context, ambient, cancellationToken).ConfigureAwait(false);
            return joined;
        }
        catch
        {
            await joined.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public Task<IDbContextTransaction> BeginWorkItemTransactionAsync(DbContext context, Guid workItemId, CancellationToken cancellationToken) =>
        BeginSerializedAsync(context, "work-item", cancellationToken);

    public Task<IReadOnlyList<ClaimRow>> ClaimAsync(DbContext context, ClaimRequest request, CancellationToken cancellationToken) =>
        SqliteClaimStrategy.ClaimAsync(context, this, request, cancellationToken);

    /// <summary>A SQLite model has nothing of its own: its event log is ordered by sequence alone.</summary>
    public void ConfigureModel(ModelBuilder modelBuilder, SchemaNames names)
    {
    }

    public string? EnumCheckSql(ModelBuilder modelBuilder, string column, IReadOnlyList<string> values) => null;

    public Data.Faults.FaultKind ClassifyFault(Exception exception) => SqliteFaults.Classify(exception);

    /// <summary>Plain statements in one write transaction; <see langword="false"/> (nothing written) sends the caller to the general path.</summary>
    public Task<bool> TryCompleteClaimsAsync(DbContext context, CompletionRequest request, CancellationToken cancellationToken) =>
        SqliteLeaseStrategy.TryCompleteAsync(context, this, request, cancellationToken);

    /// <summary>Plain statements in one write transaction; <see langword="null"/> (nothing written) sends the caller to the general path.</summary>
    public Task<ClaimedWork?> TryRenewAsync(DbContext context, WorkLease lease, TimeSpan duration, TimeProvider? clock, CancellationToken cancellationToken) =>
        SqliteLeaseStrategy.TryRenewAsync(context, this, lease, duration, clock, cancellationToken);

    /// <summary>Completes and renews in a few plain statements, without EF Core's queries and change tracking.</summary>
    public bool HasOneStatementLeases => true;

    /// <summary>
    /// Not sent: SQLite's completion and claim are each one short write transaction on this machine, with no round trip
    /// to save, so the claimer makes them one after the other.
    /// </summary>
    public Task<CompleteAndClaimResult?> TryCompleteAndClaimAsync(DbContext context, CompletionRequest completion, ClaimRequest claim, CancellationToken cancellationToken) =>
        Task.FromResult<CompleteAndClaimResult?>(null);

    /// <summary>Plain statements in one write transaction; <see langword="null"/> (nothing written) sends the caller to the general path.</summary>
    public Task<HeartbeatResult?> TryHeartbeatAsync(DbContext context, HeartbeatStatement request, CancellationToken cancellationToken) =>
        SqliteSessionStrategy.TryHeartbeatAsync(context, this, request, cancellationToken);

    /// <summary>Plain statements in one write transaction; <see langword="null"/> (nothing written) sends the caller to the general path.</summary>
    public Task<FileLockGrant?> TryAcquireFileLocksAsync(DbContext context, FileLockAcquisition request, CancellationToken cancellationToken) =>
        SqliteFileLockStrategy.TryAcquireAsync(context, this, request, cancellationToken);

    /// <summary>Plain statements in one write transaction; <see langword="null"/> (nothing written) sends the caller to the general path.</summary>
    public Task<FileLockReleaseResult?> TryReleaseFileLocksAsync(DbContext context, FileLockRelease request, CancellationToken cancellationToken) =>
        SqliteFileLockStrategy.TryReleaseAsync(context, this, request, cancellationToken);

    /// <summary>Plain statements in one write transaction; <see langword="null"/> (nothing written) sends the caller to the general path.</summary>
    public Task<FileLockRenewalResult?> TryRenewFileLocksAsync(DbContext context, FileLockRenewal request, CancellationToken cancellationToken) =>
        SqliteFileLockStrategy.TryRenewAsync(context, this, request, cancellationToken);

    public bool IsUniqueViolation(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 2067 or 1555 } || (exception.InnerException is { } inner && IsUniqueViolation(inner));

    /// <summary>
    /// A host's own context (embedded mode) may not carry the turnkey interceptor: its connections are set up here, at the
    /// library's first write on them, with the default durability.
    /// </summary>
    private static Task PrepareAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        SqliteConnectionSetup.Ensure(connection, SqliteSynchronous.Normal);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Whether the library may leave the context's connection open: the library's own context, or any context whose
    /// connection EF Core created from a connection string (or was given to own), which EF Core closes when the context
    /// is disposed or returned to its pool, as it would after <c>Database.OpenConnection()</c>.
    /// </summary>
    private static bool KeepsConnectionOpen(DbContext context)
    {
        if (context.GetType() == typeof(AgentOrchestrationDbContext))
        {
            return true;
        }

        var options = context.GetService<IDbContextOptions>();
        if (!OwnsConnection.TryGetValue(options, out var owns))
        {
            var relational = RelationalOptionsExtension.Extract(options);
            owns = relational.Connection is null || relational.IsConnectionOwned ? KeepOpen : LeaveAsFound;
            OwnsConnection.AddOrUpdate(options, owns);
        }

        return ReferenceEquals(owns, KeepOpen);
    }

    /// <summary>The gate of a database file (for tests), or <see langword="null"/> if no library write has used it yet.</summary>
    internal static WriterGate? GateOf(string databasePath) => Gates.TryGetValue(Path.GetFullPath(databasePath), out var gate) ? gate : null;

    /// <summary>Gives a database file no library write has used yet a gate of a test's own (with a turn budget of its own).</summary>
    internal static void UseGate(string databasePath, WriterGate gate)
    {
        if (!Gates.TryAdd(Path.GetFullPath(databasePath), gate))
        {
            throw new InvalidOperationException($"The database '{databasePath}' has a writer gate already.");
        }
    }

    /// <summary>
    /// Whether a connection the library opens itself from the context's connection string is set up as the context's:
    /// not in shared-cache mode (its connections share one page cache already, and lock tables within it), and no
    /// interceptor of the host's (the turnkey connection interceptor is the library's): one could set the connection up
    /// otherwise, or expects to see the library's transactions begin and commit on the context's connection.
    /// </summary>
    private static bool MayKeepWriter(DbContext context)
    {
        var options = context.GetService<IDbContextOptions>();
        if (!KeepsWriter.TryGetValue(options, out var keeps))
        {
            var shared = new SqliteConnectionStringBuilder(context.Database.GetConnectionString()).Cache == SqliteCacheMode.Shared;
            var foreign = options.FindExtension<CoreOptionsExtension>()?.Interceptors?.Any(i => i is not SqliteConnectionInterceptor) ?? false;
            keeps = !shared && !foreign ? KeepOpen : LeaveAsFound;
            KeepsWriter.AddOrUpdate(options, keeps);
        }

        return ReferenceEquals(keeps, KeepOpen);
    }

    /// <summary>The database file's full path, or <see langword="null"/> for an in-memory database (one process only).</summary>
    private static string? DatabaseFile(DbContext context)
    {
        var builder = new SqliteConnectionStringBuilder(context.Database.GetConnectionString());
        return builder.DataSource is { Length: > 0 } source && !source.Contains(":memory:", StringComparison.Ordinal) && builder.Mode != SqliteOpenMode.Memory
            ? Path.GetFullPath(source)
            : null;
    }
}
