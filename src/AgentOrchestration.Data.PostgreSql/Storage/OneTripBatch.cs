using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace AgentOrchestration.Data.PostgreSql.Storage;

/// <summary>
/// Sends statements as one prepared batch on EF's connection: one round trip, one implicit transaction that commits by
/// itself. Each statement of a batch takes a new snapshot in READ COMMITTED, so a statement after the locking ones
/// reads what was committed before the locks were granted (on a session whose default isolation is stricter, see
/// <see cref="SessionIsolation"/>).
/// </summary>
internal static class OneTripBatch
{
    /// <summary>Runs <paramref name="commands"/> (prepared once per physical connection, see <see cref="PreparedBatches"/>) and reads the last one's result.</summary>
    public static Task<T> RunAsync<T>(
        DbContext db, IReadOnlyList<NpgsqlBatchCommand> commands, Func<NpgsqlDataReader, CancellationToken, Task<T>> read, CancellationToken cancellationToken) =>
        RunAsync(db, commands, commands.Count - 1, read, cancellationToken);

    /// <summary>Runs <paramref name="commands"/> as above; <paramref name="read"/> starts at the result of <c>commands[<paramref name="readFrom"/>]</c> and may read on.</summary>
    public static async Task<T> RunAsync<T>(
        DbContext db, IReadOnlyList<NpgsqlBatchCommand> commands, int readFrom, Func<NpgsqlDataReader, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Only called outside a caller's transaction; on a session whose default isolation is stricter, in a READ COMMITTED one of its own.
            await using var pinned = await SessionIsolation.PinReadCommittedAsync(db, cancellationToken).ConfigureAwait(false);
            var batch = await PreparedBatches.BindAsync(connection, commands, (NpgsqlTransaction?)pinned?.GetDbTransaction(), cancellationToken).ConfigureAwait(false);

            // The batch commits by itself: a fault from here on may come after its commit.
            Data.Faults.FaultAttempt.Committing();
            T result;
            await using (var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                for (var i = 0; i < readFrom; i++)
                {
                    await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                }

                result = await read(reader, cancellationToken).ConfigureAwait(false);
            }

            if (pinned is not null)
            {
                await pinned.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            return result;
        }
        finally
        {
            await db.Database.CloseConnectionAsync().ConfigureAwait(false);
        }
    }
}
