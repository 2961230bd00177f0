using System.Collections.Concurrent;
using System.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace AgentOrchestration.Data.PostgreSql.Storage;

/// <summary>
/// The one-round-trip writes (claims, completions, renewals, heartbeats, file locks) run as a batch in its own implicit
/// transaction, at the session's <c>default_transaction_isolation</c>. Their later statements must read what committed
/// while the first ones waited for locks, which only READ COMMITTED does: at REPEATABLE READ the whole batch reads one
/// snapshot from before the wait (two sessions were granted the same file lock), at SERIALIZABLE it fails with
/// serialization errors the library then retries. Where the default is stricter, they run in an explicit READ
/// COMMITTED transaction instead: its BEGIN goes with the batch, its COMMIT is one more round trip.
/// </summary>
internal static class SessionIsolation
{
    /// <summary>
    /// The session default by connection string, which decides it (the database's and role's <c>ALTER ... SET</c>, the
    /// <c>Options</c> keyword): read once per process, on the first one-round-trip write, so no later call pays a round
    /// trip for it. A default changed after that (ALTER DATABASE/ROLE apply to new sessions, <c>SET</c> to one session)
    /// is not seen until the process restarts.
    /// </summary>
    private static readonly ConcurrentDictionary<string, string> DefaultByConnectionString = new(StringComparer.Ordinal);

    /// <summary>
    /// Outside a caller's transaction, on an open connection: <see langword="null"/> when the session's default is READ
    /// COMMITTED (the batch runs in its own implicit transaction, as it always did), otherwise a READ COMMITTED
    /// transaction the caller runs the batch in and commits.
    /// </summary>
    /// <param name="db">The context, its connection open and without a transaction.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The transaction to run the batch in, or <see langword="null"/> for its implicit one.</returns>
    public static async Task<IDbContextTransaction?> PinReadCommittedAsync(DbContext db, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var key = connection.ConnectionString;
        if (!DefaultByConnectionString.TryGetValue(key, out var level))
        {
            await using var command = new NpgsqlCommand("SELECT current_setting('default_transaction_isolation')", connection);
            level = Convert.ToString(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
            DefaultByConnectionString[key] = level;
        }

        // READ UNCOMMITTED is READ COMMITTED in PostgreSQL.
        return level is "read committed" or "read uncommitted"
            ? null
            : await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
    }
}
