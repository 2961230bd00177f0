using System.Collections.Concurrent;
using System.Data;
using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Internal;
using AgentOrchestration.Data.Sqlite.Claims;
using AgentOrchestration.Data.Sqlite.EventLog;
using AgentOrchestration.Data.Sqlite.Internal;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

[assembly: OrchestrationProvider(typeof(SqliteOrchestrationProvider))]

namespace AgentOrchestration.Data.Sqlite.Internal;

/// <summary>
/// SQLite behaviour: one writer per database, so serializing means taking the write lock up front
/// (<c>BEGIN IMMEDIATE</c>). Waiting for it is SQLite's own short busy handler (in native code, with fine-grained
/// back-off) and then an asynchronous retry here, never Microsoft.Data.Sqlite's managed loop that blocks the thread
/// in 150 ms sleeps for up to the command timeout.
/// </summary>
internal sealed class SqliteOrchestrationProvider : IOrchestrationProvider
{
    /// <summary>How long SQLite itself waits for the write lock before we yield the thread and retry.</summary>
    internal const int NativeBusyTimeoutMilliseconds = 1000;

    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteBusySnapshot = 517;

    /// <summary>
    /// The physical connections (native handles) already prepared. A pooled <see cref="SqliteConnection"/> may get another
    /// handle at every open, and <c>busy_timeout</c> belongs to the handle, so it is the handle that is remembered.
    /// </summary>
    private static readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> Prepared = [];

    /// <summary>The transactions the library began itself; operations nested in them join without a savepoint.</summary>
    private static readonly ConditionalWeakTable<IDbContextTransaction, object> Own = [];

    /// <summary>
    /// One gate per database file: writers of this process queue here asynchronously, so only one of them at a time
    /// waits on SQLite's lock; other processes are handled by the busy handler and the retry below.
    /// </summary>
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);

    public Task<EventCursor?> FindEventCursorAsync(DbContext context, long sequence, CancellationToken cancellationToken) =>
        SqliteEventReader.FindCursorAsync(context, sequence, cancellationToken);

    public Task<EventBatch> ReadEventsAsync(DbContext context, EventCursor after, int take, Guid? projectId, CancellationToken cancellationToken) =>
        SqliteEventReader.ReadAsync(context, after, take, projectId, cancellationToken);

    public Task<IEventWakeup> ListenForEventsAsync(DbContext context, CancellationToken cancellationToken) =>
        Task.FromResult<IEventWakeup>(new PollingWakeup());

    /// <summary>Gets a value indicating that SQLite runs on one machine: its clock (the registered <see cref="TimeProvider"/>) decides.</summary>
    public bool HasServerClock => false;

    public Task<DateTimeOffset> ServerNowAsync(DbContext context, bool afterLock, CancellationToken cancellationToken) =>
        throw new NotSupportedException("SQLite has no server clock: the calling machine's clock decides.");

    public async Task<IDbContextTransaction> BeginSerializedAsync(DbContext context, string scope, CancellationToken cancellationToken)
    {
        if (context.Database.CurrentTransaction is { } ambient)
        {
            // Inside the caller's transaction: SQLite has one writer per database, so the caller's transaction decides.
            return await JoinAsync(context, ambient, cancellationToken).ConfigureAwait(false);
        }

        var file = DatabaseFile(context);
        var gate = Gates.GetOrAdd(file ?? context.Database.GetConnectionString() ?? string.Empty, static _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await context.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            gate.Release();
            throw;
        }

        try
        {
            var connection = (SqliteConnection)context.Database.GetDbConnection();
            await PrepareAsync(connection, cancellationToken).ConfigureAwait(false);

            // With the managed timeout (whole seconds) no longer than the native one, Microsoft.Data.Sqlite gives up as
            // soon as SQLite does, and the wait continues here without holding a thread.
            var previousTimeout = connection.DefaultTimeout;
            connection.DefaultTimeout = NativeBusyTimeoutMilliseconds / 1000;
            // Default Timeout=0 means "wait indefinitely" in Microsoft.Data.Sqlite: then only the token ends the wait.
            var giveUpAt = previousTimeout <= 0 ? long.MaxValue : Environment.TickCount64 + (previousTimeout * 1000L);

            // Last before BEGIN, so the turn covers only the transaction: the other processes' writers wait in order.
            var turn = file is null || WriterQueue.For(file) is not { } queue ? default : await queue.EnterAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        // Microsoft.Data.Sqlite begins non-deferred transactions as BEGIN IMMEDIATE.
                        var transaction = await context.Database.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken).ConfigureAwait(false);
                        Own.AddOrUpdate(transaction, transaction);
                        return new ConnectionScopedTransaction(transaction, context, gate, turn);
                    }
                    catch (SqliteException exception) when (exception.SqliteErrorCode is SqliteBusy or SqliteLocked)
                    {
                        if (Environment.TickCount64 >= giveUpAt)
                        {
                            // The connection's command timeout bounds the whole wait, as it would without this retry.
                            throw new TimeoutException(
                                $"The SQLite database '{connection.DataSource}' stayed locked by another writer for {previousTimeout} s (the connection's Default Timeout); nothing was written.",
                                exception);
                        }

                        await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
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
                connection.DefaultTimeout = previousTimeout;
            }
        }
        catch
        {
            await context.Database.CloseConnectionAsync().ConfigureAwait(false);
            gate.Release();
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
            await TakeWriteLockAsync(context, ambient, cancellationToken).ConfigureAwait(false);
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

    public bool IsUniqueViolation(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 2067 or 1555 } || (exception.InnerException is { } inner && IsUniqueViolation(inner));

    /// <summary>Once per physical connection: SQLite's native busy handler, and write-ahead logging so readers never block the writer.</summary>
    private static async Task PrepareAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var handle = connection.Handle!;
        if (Prepared.TryGetValue(handle, out _))
        {
            return;
        }

        await using (var command = connection.CreateCommand())
        {
            command.CommandText = $"PRAGMA busy_timeout = {NativeBusyTimeoutMilliseconds};";
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            command.CommandText = "PRAGMA journal_mode;";
            var mode = Convert.ToString(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase) && !connection.DataSource.Contains(":memory:", StringComparison.Ordinal))
            {
                try
                {
                    command.CommandText = "PRAGMA journal_mode = WAL;";
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (SqliteException exception) when (exception.SqliteErrorCode is SqliteBusy or SqliteLocked)
                {
                    // Another connection is switching the (persistent) mode right now; it will be WAL either way.
                }
            }
        }

        Prepared.AddOrUpdate(handle, handle);
    }

    /// <summary>
    /// Takes the database write lock in the caller's transaction with a write that changes nothing (a no-op when it holds
    /// the lock already, as a transaction begun with <c>BEGIN IMMEDIATE</c>, the default, does).
    /// </summary>
    private static async Task TakeWriteLockAsync(DbContext context, IDbContextTransaction ambient, CancellationToken cancellationToken)
    {
        var connection = (SqliteConnection)context.Database.GetDbConnection();
        var table = new StoreNames(context).Table<Entities.AgentProfile>();
        var timeout = connection.DefaultTimeout;
        var giveUpAt = timeout <= 0 ? long.MaxValue : Environment.TickCount64 + (timeout * 1000L);
        for (var attempt = 0; ; attempt++)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = (SqliteTransaction)ambient.GetDbTransaction();
            command.CommandText = $"DELETE FROM {table} WHERE 0";

            // Bounds Microsoft.Data.Sqlite's blocking retry; the wait goes on below without holding the thread.
            command.CommandTimeout = 1;
            try
            {
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (SqliteException exception) when (exception.SqliteExtendedErrorCode == SqliteBusySnapshot)
            {
                throw new UnsupportedIsolationLevelException(
                    "deferred, reading a snapshot older than the database's last commit",
                    ["immediate (BeginTransaction's default)", "deferred, before it reads what another writer changes"]);
            }
            catch (SqliteException exception) when (exception.SqliteErrorCode is SqliteBusy or SqliteLocked)
            {
                if (Environment.TickCount64 >= giveUpAt)
                {
                    throw new TimeoutException(
                        $"The SQLite database '{connection.DataSource}' stayed locked by another writer for {timeout} s (the connection's Default Timeout); nothing was written.",
                        exception);
                }

                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The database file's full path, or <see langword="null"/> for an in-memory database (one process only).</summary>
    private static string? DatabaseFile(DbContext context)
    {
        var builder = new SqliteConnectionStringBuilder(context.Database.GetConnectionString());
        return builder.DataSource is { Length: > 0 } source && !source.Contains(":memory:", StringComparison.Ordinal) && builder.Mode != SqliteOpenMode.Memory
            ? Path.GetFullPath(source)
            : null;
    }

    private static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(50, 1 << Math.Min(attempt, 6)) * (0.5 + Random.Shared.NextDouble()));
}
