using System.Runtime.CompilerServices;
using Npgsql;

namespace AgentOrchestration.Data.PostgreSql.Storage;

/// <summary>
/// The hot-path batches, prepared once per physical connection and run again there with only their parameter values
/// rebound. Npgsql rewrites a batch's <c>@name</c> placeholders into <c>$n</c> (a new copy of every statement's text)
/// whenever a new batch is prepared or run unprepared, and the large claim and complete statements made that rewrite most
/// of the bytes allocated per call; a batch it prepared on the physical connection it runs on skips it. So the batches are
/// kept by physical connection (Npgsql's pool hands any of them to any connection object): one user at a time, as the
/// physical connection itself, lent to the connection object that runs the call.
/// </summary>
internal static class PreparedBatches
{
    /// <summary>How many batches one physical connection keeps: every hot-path batch, with room to spare.</summary>
    private const int MaxKept = 32;

    /// <summary>
    /// By physical connection, which Npgsql's <see cref="NpgsqlConnection.PostgresParameters"/> names: each physical
    /// connection has its own dictionary for its lifetime, so the kept batches go when it does.
    /// </summary>
    private static readonly ConditionalWeakTable<object, List<NpgsqlBatch>> ByPhysicalConnection = [];

    /// <summary>
    /// A batch of <paramref name="commands"/> on <paramref name="connection"/> (open), prepared on its physical connection:
    /// the batch of the same statements kept there, with the values of <paramref name="commands"/>, or, the first time,
    /// a new one made of <paramref name="commands"/> themselves (kept from then on). The caller neither disposes it nor
    /// keeps it past its reader, and passes new commands on every call.
    /// </summary>
    /// <param name="connection">The open connection the batch runs on.</param>
    /// <param name="commands">The statements with this call's values; the same texts (and parameter names and types) make the same batch.</param>
    /// <param name="transaction">The transaction the batch runs in, or <see langword="null"/> for its own implicit one.</param>
    /// <param name="cancellationToken">A token to cancel the preparation.</param>
    /// <returns>The batch to run.</returns>
    public static async ValueTask<NpgsqlBatch> BindAsync(
        NpgsqlConnection connection, IReadOnlyList<NpgsqlBatchCommand> commands, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        var kept = ByPhysicalConnection.GetValue(connection.PostgresParameters, static _ => []);
        if (Find(kept, commands) is { } batch)
        {
            // Prepared on this physical connection already: Npgsql runs it as prepared, without parsing it again.
            batch.Connection = connection;
            batch.Transaction = transaction;
            Rebind(batch, commands);
            return batch;
        }

        // Once per physical connection and statement (without a round trip when another batch prepared the same text on
        // it: Npgsql keeps prepared statements by text). A prepared batch is never prepared again: Npgsql would add its
        // parameters to the statement's list a second time.
        batch = new NpgsqlBatch(connection, transaction);
        foreach (var command in commands)
        {
            batch.BatchCommands.Add(command);
        }

        await batch.PrepareAsync(cancellationToken).ConfigureAwait(false);
        if (kept.Count < MaxKept)
        {
            kept.Add(batch);
        }

        return batch;
    }

    private static NpgsqlBatch? Find(List<NpgsqlBatch> kept, IReadOnlyList<NpgsqlBatchCommand> commands)
    {
        foreach (var batch in kept)
        {
            if (SameShape(batch.BatchCommands, commands))
            {
                return batch;
            }
        }

        return null;
    }

    /// <summary>The same statements with the same parameters (names and types), in the same order: only the values differ.</summary>
    private static bool SameShape(NpgsqlBatchCommandCollection kept, IReadOnlyList<NpgsqlBatchCommand> commands)
    {
        if (kept.Count != commands.Count)
        {
            return false;
        }

        for (var i = 0; i < commands.Count; i++)
        {
            // The statement texts are built once per model, so the same statement is usually the same string instance.
            if (!string.Equals(kept[i].CommandText, commands[i].CommandText, StringComparison.Ordinal))
            {
                return false;
            }

            var keptParameters = kept[i].Parameters;
            var parameters = commands[i].Parameters;
            if (keptParameters.Count != parameters.Count)
            {
                return false;
            }

            for (var j = 0; j < parameters.Count; j++)
            {
                if (keptParameters[j].NpgsqlDbType != parameters[j].NpgsqlDbType
                    || !string.Equals(keptParameters[j].ParameterName, parameters[j].ParameterName, StringComparison.Ordinal))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static void Rebind(NpgsqlBatch batch, IReadOnlyList<NpgsqlBatchCommand> commands)
    {
        for (var i = 0; i < commands.Count; i++)
        {
            var keptParameters = batch.BatchCommands[i].Parameters;
            var parameters = commands[i].Parameters;
            for (var j = 0; j < parameters.Count; j++)
            {
                keptParameters[j].Value = parameters[j].Value;
            }
        }
    }
}
