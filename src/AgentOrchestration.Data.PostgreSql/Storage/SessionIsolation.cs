using System.Data;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace AgentOrchestration.Data.PostgreSql.Storage;

/// <summary>
/// The one-round-trip writes (claims, completions, renewals, heartbeats, file locks) run as a batch in its own implicit
/// transaction, at the session's <c>default_transaction_isolation</c>. Their later statements must read what committed
/// while the first ones waited for locks, which only READ COMMITTED does: at REPEATABLE READ the whole batch reads one
/// snapshot from before the wait (two sessions were granted the same file lock), at SERIALIZABLE it fails with
/// serialization errors the library then retries. On a physical connection whose default is stricter, they run in an
/// explicit READ COMMITTED transaction instead: its BEGIN goes with the batch, its COMMIT is one more round trip.
/// </summary>
internal static class SessionIsolation
{
    /// <summary>
    /// The session default by physical connection (Npgsql's <see cref="NpgsqlConnection.PostgresParameters"/> names it, as
    /// for <see cref="PreparedBatches"/>): read once, on the connection's first one-round-trip write. ALTER ROLE/DATABASE
    /// apply to new sessions only; a <c>SET default_transaction_isolation</c> in a session after that is not seen.
    /// </summary>
    private static readonly ConditionalWeakTable<object, string> DefaultByPhysicalConnection = [];

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
        var key = connection.PostgresParameters;
        if (!DefaultByPhysicalConnection.TryGetValue(key, out var level))
        {
            await using var command = new NpgsqlCommand("SELECT current_setting('default_transaction_isolation')", connection);
            level = Convert.ToString(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
            DefaultByPhysicalConnection.AddOrUpdate(key, level);
        }

        // READ UNCOMMITTED is READ COMMITTED in PostgreSQL.
        return level is "read committed" or "read uncommitted"
            ? null
            : await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
    }
}
