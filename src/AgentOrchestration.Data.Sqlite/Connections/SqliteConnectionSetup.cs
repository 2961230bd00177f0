using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace AgentOrchestration.Data.Sqlite.Connections;

/// <summary>
/// Once per physical connection: SQLite's native busy handler, write-ahead logging (readers never block the writer), the
/// durability of a commit and the automatic checkpoint's threshold (a backstop: see <see cref="WalCheckpoints"/>). A pooled <see cref="SqliteConnection"/> may get another native handle at every open,
/// and these settings belong to the handle, so it is the handle that is remembered.
/// </summary>
internal static class SqliteConnectionSetup
{
    /// <summary>How long SQLite itself waits for the write lock before the library yields the thread and retries.</summary>
    internal const int NativeBusyTimeoutMilliseconds = 1000;

    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;

    /// <summary>The handles set up, each with the durability it was given (boxed <see cref="SqliteSynchronous"/>).</summary>
    private static readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> Prepared = [];

    /// <summary>The durability the connection's handle was set up with, or <see langword="null"/> if it was not set up here.</summary>
    public static SqliteSynchronous? SynchronousOf(SqliteConnection connection) =>
        connection.Handle is { } handle && Prepared.TryGetValue(handle, out var level) ? (SqliteSynchronous)level : null;

    /// <summary>Sets the connection up unless its handle already is (by the turnkey interceptor, or an earlier write).</summary>
    public static void Ensure(SqliteConnection connection, SqliteSynchronous synchronous)
    {
        var handle = connection.Handle!;
        if (Prepared.TryGetValue(handle, out _))
        {
            return;
        }

        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA busy_timeout = {NativeBusyTimeoutMilliseconds};";
        command.ExecuteNonQuery();
        command.CommandText = "PRAGMA journal_mode;";
        var mode = Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase) && !connection.DataSource.Contains(":memory:", StringComparison.Ordinal))
        {
            try
            {
                command.CommandText = "PRAGMA journal_mode = WAL;";
                command.ExecuteNonQuery();
            }
            catch (SqliteException exception) when (exception.SqliteErrorCode is SqliteBusy or SqliteLocked)
            {
                // Another connection is switching the (persistent) mode right now; it will be WAL either way.
            }
        }

        // Per connection, not persistent: every handle gets them.
        command.CommandText = synchronous == SqliteSynchronous.Full ? "PRAGMA synchronous = FULL;" : "PRAGMA synchronous = NORMAL;";
        command.ExecuteNonQuery();
        command.CommandText = $"PRAGMA wal_autocheckpoint = {WalCheckpoints.BackstopPages};";
        command.ExecuteNonQuery();
        Prepared.AddOrUpdate(handle, synchronous);
    }
}
