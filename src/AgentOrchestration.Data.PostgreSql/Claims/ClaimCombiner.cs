using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.PostgreSql.Storage;
using AgentOrchestration.Data.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;

namespace AgentOrchestration.Data.PostgreSql.Claims;

/// <summary>
/// Concurrent claims of different agents in one process, outside a caller's transaction, combined into one batch and
/// one implicit transaction: first every lock, in the order every other path takes them (the sessions, then the agents,
/// each sorted), then the claim statement once per request. Each claim statement takes its snapshot after the earlier
/// ones ran, so it sees what they claimed and skips it. Any error rolls the whole batch back (nothing was written), and
/// every request then claims alone, so each caller meets its own refusal or unique violation as without combining.
/// </summary>
internal sealed class ClaimCombiner(IOrchestrationProvider provider) : StatementCombiner<ClaimRequest, IReadOnlyList<ClaimRow>>
{
    private static readonly ConditionalWeakTable<IModel, ConcurrentDictionary<string, ClaimCombiner>> ByModel = [];

    /// <summary>Claims as <see cref="PostgreSqlClaimStrategy.ClaimAsync"/> does, sharing the round trip with concurrent claims of other agents.</summary>
    public static Task<IReadOnlyList<ClaimRow>> ClaimAsync(DbContext db, IOrchestrationProvider provider, ClaimRequest request, CancellationToken cancellationToken) =>
        db.Database.CurrentTransaction is not null
            ? PostgreSqlClaimStrategy.ClaimAsync(db, provider, request, cancellationToken)
            : ByModel.GetValue(db.Model, static _ => new())
                .GetOrAdd(db.Database.GetConnectionString() ?? "", static (_, p) => new ClaimCombiner(p), provider)
                .RunAsync(db, request, cancellationToken);

    protected override int Size(ClaimRequest request) => request.AssignmentIds.Count;

    protected override IEnumerable<Guid> Keys(ClaimRequest request) => [request.AgentId];

    protected override Task<IReadOnlyList<ClaimRow>> RunAloneAsync(DbContext db, ClaimRequest request, CancellationToken cancellationToken) =>
        PostgreSqlClaimStrategy.ClaimAsync(db, provider, request, cancellationToken);

    protected override async Task<IReadOnlyList<IReadOnlyList<ClaimRow>>?> RunCombinedAsync(DbContext db, IReadOnlyList<ClaimRequest> requests, CancellationToken cancellationToken)
    {
        var sql = PostgreSqlClaimStrategy.SqlFor(db);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var batch = new NpgsqlBatch(connection);
            var sessions = requests.Select(r => r.SessionId).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            foreach (var session in sessions)
            {
                batch.BatchCommands.Add(PostgreSqlClaimStrategy.LockSessionCommand(sql, session));
            }

            // In the server's uuid order (the bytes in order), as ORDER BY id takes rows everywhere else.
            var agents = requests.Select(r => r.AgentId).Order(ServerUuidOrder.Instance).ToList();
            foreach (var agent in agents)
            {
                batch.BatchCommands.Add(PostgreSqlClaimStrategy.LockAgentCommand(sql.LockAgentGenericPlan, agent));
            }

            foreach (var request in requests)
            {
                batch.BatchCommands.Add(PostgreSqlClaimStrategy.ClaimCommand(sql, request));
            }

            await batch.PrepareAsync(cancellationToken).ConfigureAwait(false);

            // The batch commits by itself: a fault from here on may come after its commit.
            Data.Faults.FaultAttempt.Committing();
            var results = new IReadOnlyList<ClaimRow>[requests.Count];
            try
            {
                await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                for (var skip = sessions.Count + agents.Count; skip > 0; skip--)
                {
                    await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                }

                for (var i = 0; i < requests.Count; i++)
                {
                    if (i > 0)
                    {
                        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                    }

                    var rows = new List<ClaimRow>(requests[i].AssignmentIds.Count);
                    await PostgreSqlClaimStrategy.ReadRowsAsync(reader, rows, cancellationToken).ConfigureAwait(false);
                    results[i] = rows;
                }
            }
            catch (PostgresException) when (connection.FullState == System.Data.ConnectionState.Open)
            {
                // A statement failed (a unique violation, a deadlock, ...) and the server rolled the batch's transaction
                // back on a connection still open: nothing was written, so each request claims alone and meets its own.
                return null;
            }

            return results;
        }
        finally
        {
            await db.Database.CloseConnectionAsync().ConfigureAwait(false);
        }
    }

    /// <summary>PostgreSQL's uuid order: the 16 bytes compared in order (big-endian), which <see cref="Guid.CompareTo(Guid)"/> does not promise.</summary>
    private sealed class ServerUuidOrder : IComparer<Guid>
    {
        public static readonly ServerUuidOrder Instance = new();

        public int Compare(Guid x, Guid y)
        {
            Span<byte> a = stackalloc byte[16];
            Span<byte> b = stackalloc byte[16];
            x.TryWriteBytes(a, bigEndian: true, out _);
            y.TryWriteBytes(b, bigEndian: true, out _);
            return a.SequenceCompareTo(b);
        }
    }
}
