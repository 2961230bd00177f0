using AgentOrchestration.Data.Modeling;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace AgentOrchestration.Data.Sqlite.Locking;

/// <summary>
/// SQLite's one lock: the database write lock, which every library transaction holds from its start (so it serializes
/// every <c>LockScope</c> of the core at once). A transaction the library begins takes it with <c>BEGIN IMMEDIATE</c>;
/// one the caller began takes it here. Waiting is SQLite's native busy handler, then an asynchronous retry.
/// </summary>
internal static class SqliteWriteLock
{
    /// <summary>SQLITE_BUSY: another connection holds the lock.</summary>
    public const int Busy = 5;

    /// <summary>SQLITE_LOCKED: a table is locked within this connection's shared cache.</summary>
    public const int Locked = 6;

    /// <summary>SQLITE_BUSY_SNAPSHOT: a deferred transaction's snapshot is older than the last commit.</summary>
    public const int BusySnapshot = 517;

    /// <summary>
    /// Takes the database write lock in the caller's transaction with a write that changes nothing (a no-op when it holds
    /// the lock already, as a transaction begun with <c>BEGIN IMMEDIATE</c>, the default, does).
    /// </summary>
    public static async Task TakeInAsync(DbContext context, IDbContextTransaction ambient, CancellationToken cancellationToken)
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
            catch (SqliteException exception) when (exception.SqliteExtendedErrorCode == BusySnapshot)
            {
                throw new UnsupportedIsolationLevelException(
                    "deferred, reading a snapshot older than the database's last commit",
                    ["immediate (BeginTransaction's default)", "deferred, before it reads what another writer changes"]);
            }
            catch (SqliteException exception) when (exception.SqliteErrorCode is Busy or Locked)
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

    /// <summary>The wait before the next attempt at the write lock: short, growing, jittered.</summary>
    public static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(50, 1 << Math.Min(attempt, 6)) * (0.5 + Random.Shared.NextDouble()));
}
