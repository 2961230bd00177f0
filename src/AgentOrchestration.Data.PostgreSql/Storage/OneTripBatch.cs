using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AgentOrchestration.Data.PostgreSql.Storage;

/// <summary>
/// Sends statements as one prepared batch on EF's connection: one round trip, one implicit transaction that commits by
/// itself. Each statement of a batch takes a new snapshot in READ COMMITTED, so a statement after the locking ones
/// reads what was committed before the locks were granted.
/// </summary>
internal static class OneTripBatch
{
    /// <summary>Runs <paramref name="commands"/> (prepared once per physical connection, see <see cref="PreparedBatches"/>) and reads the last one's result.</summary>
    public static async Task<T> RunAsync<T>(
        DbContext db, IReadOnlyList<NpgsqlBatchCommand> commands, Func<NpgsqlDataReader, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var batch = await PreparedBatches.BindAsync(connection, commands, transaction: null, cancellationToken).ConfigureAwait(false);

            // The batch commits by itself (only called outside a caller's transaction): a fault from here on may come after its commit.
            Data.Faults.FaultAttempt.Committing();
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            for (var i = 1; i < commands.Count; i++)
            {
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            }

            return await read(reader, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await db.Database.CloseConnectionAsync().ConfigureAwait(false);
        }
    }
}
