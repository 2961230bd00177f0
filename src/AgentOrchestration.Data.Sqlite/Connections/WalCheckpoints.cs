using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace AgentOrchestration.Data.Sqlite.Connections;

/// <summary>
/// WAL checkpoints out of the writers' way. SQLite's own (automatic, at <see cref="BackstopPages"/> on the library's
/// connections) runs inside the commit that crosses the threshold, after the write lock is released but before the
/// commit returns, so across processes it runs inside that writer's turn of the writer queue and every other process
/// waits through it. Instead, every <see cref="Locking.WriterQueue.CheckpointEvery"/>-th library commit on a file
/// (counted across processes in the queue) starts a passive checkpoint here, on a connection of its own, once the
/// writer has passed its turn on: it copies what it can without waiting for or blocking readers or writers.
/// SQLite's checkpoint is crash-safe (a frame leaves the log only once the database file holds it), and the backstop
/// bounds the log if these cannot keep up or commits come from outside the library.
/// </summary>
internal static class WalCheckpoints
{
    /// <summary>
    /// The automatic checkpoint threshold on the library's connections (SQLite's default is 1,000 pages): reached only
    /// if the passive checkpoints fall behind, or by the host's own writes outside the library's transactions.
    /// </summary>
    internal const int BackstopPages = 4000;

    private static readonly ConcurrentDictionary<string, byte> Running = new(StringComparer.Ordinal);

    /// <summary>Starts a passive checkpoint of the database <paramref name="connectionString"/> names, unless this process runs one already.</summary>
    public static void Start(string connectionString)
    {
        if (!Running.TryAdd(connectionString, 0))
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await using var connection = new SqliteConnection(connectionString);
                await connection.OpenAsync().ConfigureAwait(false);
                await using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
                await command.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is SqliteException or IOException or InvalidOperationException)
            {
                // Another checkpoint is running (busy), or the file went away: the next one, or the backstop, does it.
            }
            finally
            {
                Running.TryRemove(connectionString, out _);
            }
        });
    }
}
