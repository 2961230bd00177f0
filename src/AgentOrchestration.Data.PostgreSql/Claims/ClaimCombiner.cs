using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.PostgreSql.Storage;
using AgentOrchestration.Data.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using NpgsqlTypes;

namespace AgentOrchestration.Data.PostgreSql.Claims;

/// <summary>
/// Concurrent claims of different agents in one project, outside a caller's transaction, combined into ONE execution of
/// the multi-request claim (<see cref="MultiClaimStatement"/>): a claim's cost on a busy server is per statement execution
/// (plan initialisation, cached-plan locks, the foreign-key checks' setup, the commit), not per row, so one execution
/// serving many agents costs little more than one serving one. A batch of one claim statement per request does not pay
/// (measured: the executions stay as many). The statement serves the requests whose capability sets equal the first
/// eligible one's; the others it defers, and each deferred request then claims alone, as without combining. Any error
/// of the combined execution (it wrote nothing then) makes every request claim alone and meet its own.
/// </summary>
internal sealed class ClaimCombiner(IOrchestrationProvider provider) : StatementCombiner<ClaimRequest, IReadOnlyList<ClaimRow>?>
{
    /// <summary>The most items a request may ask for and still be combined.</summary>
    private const int MaxCombinedItems = 16;

    // Per model, then per database, clock and project: only claims the one statement decides alike share it.
    private static readonly ConditionalWeakTable<IModel, CombinerRegistry<(string? Database, TimeProvider? Clock, Guid Project), ClaimRequest, IReadOnlyList<ClaimRow>?>> ByModel = [];

    private static readonly ConditionalWeakTable<IModel, MultiClaimStatement> SqlByModel = [];

    /// <summary>Claims as <see cref="PostgreSqlClaimStrategy.ClaimAsync"/> does, sharing one execution with concurrent claims of other agents.</summary>
    public static async Task<IReadOnlyList<ClaimRow>> ClaimAsync(DbContext db, IOrchestrationProvider provider, ClaimRequest request, CancellationToken cancellationToken)
    {
        // Inside a caller's transaction, or an ambient TransactionScope Npgsql would enlist the connection in, a combined
        // execution would commit or roll back other callers' claims with this caller's: such a claim never combines.
        if (db.Database.CurrentTransaction is not null || System.Transactions.Transaction.Current is not null)
        {
            return await PostgreSqlClaimStrategy.ClaimAsync(db, provider, request, cancellationToken).ConfigureAwait(false);
        }

        var combined = ByModel.GetValue(db.Model, static _ => new())
            .RunAsync((db.Database.GetConnectionString(), request.Clock, request.ProjectId), static p => new ClaimCombiner(p), provider, db, request, cancellationToken);

        // Deferred by a combined execution (another capability set was served): alone, as without combining.
        return await combined.ConfigureAwait(false)
            ?? await PostgreSqlClaimStrategy.ClaimAsync(db, provider, request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The combiners of <paramref name="model"/>'s claims, if it claimed (for tests).</summary>
    internal static CombinerRegistry<(string? Database, TimeProvider? Clock, Guid Project), ClaimRequest, IReadOnlyList<ClaimRow>?>? Registry(IModel model) =>
        ByModel.TryGetValue(model, out var registry) ? registry : null;

    // A large batch claim already pays its fixed costs over many items; queued, it would only wait for the one in flight
    // (two never fit in one execution), so it runs alone at once, never queued.
    protected override int Size(ClaimRequest request) => request.AssignmentIds.Count <= MaxCombinedItems ? request.AssignmentIds.Count : MaxSize;

    // One request per agent (its limits are decided once per statement) and per session (whose task one request sets).
    protected override IEnumerable<Guid> Keys(ClaimRequest request) =>
        request.SessionId is { } session ? [request.AgentId, SessionKey(session)] : [request.AgentId];

    protected override async Task<IReadOnlyList<ClaimRow>?> RunAloneAsync(DbContext db, ClaimRequest request, CancellationToken cancellationToken) =>
        await PostgreSqlClaimStrategy.ClaimAsync(db, provider, request, cancellationToken).ConfigureAwait(false);

    protected override async Task<IReadOnlyList<IReadOnlyList<ClaimRow>?>?> RunCombinedAsync(DbContext db, IReadOnlyList<ClaimRequest> requests, CancellationToken cancellationToken)
    {
        var sql = SqlByModel.GetValue(db.Model, _ => new MultiClaimStatement(new StoreNames(db)));
        var lockRows = new NpgsqlBatchCommand(sql.Lock);
        lockRows.Parameters.Add(new NpgsqlParameter("sessions", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = requests.Select(r => r.SessionId).OfType<string>().ToArray() });
        lockRows.Parameters.Add(new NpgsqlParameter("agents", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = requests.Select(r => r.AgentId).ToArray() });
        var claim = new NpgsqlBatchCommand(sql.Claim);
        var p = claim.Parameters;
        p.Add(new NpgsqlParameter("project", NpgsqlDbType.Uuid) { Value = requests[0].ProjectId });
        // One clock for the combined requests (the combiner's key): the host's reading, or the server's (null here).
        p.Add(new NpgsqlParameter("now", NpgsqlDbType.TimestampTz) { Value = requests[0].Clock is { } clock ? UtcTimestampConverter.ToStore(clock.GetUtcNow()) : DBNull.Value });
        p.Add(new NpgsqlParameter("agents", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = requests.Select(r => r.AgentId).ToArray() });
        p.Add(new NpgsqlParameter("maxes", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = requests.Select(r => r.AssignmentIds.Count).ToArray() });
        p.Add(new NpgsqlParameter("durations_us", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = requests.Select(r => r.LeaseDuration.Ticks / TimeSpan.TicksPerMicrosecond).ToArray() });
        p.Add(new NpgsqlParameter("actors", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = requests.Select(r => r.Actor).ToArray() });
        p.Add(new NpgsqlParameter("keys", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = requests.Select(r => r.IdempotencyKey).ToArray() });
        p.Add(new NpgsqlParameter("sessions", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = requests.Select(r => r.SessionId).ToArray() });
        p.Add(new NpgsqlParameter("requests", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = requests.Select(r => r.IdempotencyRequest).ToArray() });
        var ids = new List<Guid>();
        var idRequests = new List<int>();
        for (var i = 0; i < requests.Count; i++)
        {
            ids.AddRange(requests[i].AssignmentIds);
            idRequests.AddRange(Enumerable.Repeat(i + 1, requests[i].AssignmentIds.Count));
        }

        p.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = ids.ToArray() });
        p.Add(new NpgsqlParameter("id_requests", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = idRequests.ToArray() });

        // For the batch's own transaction only: the combined execution waits for a session or agent lock (a host's
        // transaction holding one) at most this long, so one held row never stalls the other requests, their sessions'
        // heartbeats (whose rows it holds) and every claim queued behind it in this process.
        var lockWait = new NpgsqlBatchCommand($"SELECT set_config('lock_timeout', '{CompletionCombiner.LockWait}', true)");
        try
        {
            return await OneTripBatch.RunAsync(db, [lockWait, lockRows, claim], (reader, ct) => ReadAsync(reader, requests, ct), cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException)
        {
            // The server answered with an error (a lock wait past the bound, a unique violation, a deadlock, ...): the
            // batch's implicit transaction rolled back and nothing was written, so each request claims alone and meets
            // its own outcome. A connection lost mid-way is not a PostgresException and reaches every caller as a fault.
            return null;
        }
    }

    private static async Task<IReadOnlyList<IReadOnlyList<ClaimRow>?>> ReadAsync(NpgsqlDataReader reader, IReadOnlyList<ClaimRequest> requests, CancellationToken cancellationToken)
    {
        var results = new List<ClaimRow>?[requests.Count];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = new List<ClaimRow>(requests[i].AssignmentIds.Count);
        }

        // Rows by request, each request's in claim order; a deferred request comes as one row without an item.
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var index = reader.GetInt32(0) - 1;
            if (reader.IsDBNull(1))
            {
                results[index] = null;
                continue;
            }

            results[index]!.Add(new ClaimRow(reader.GetGuid(1), reader.GetGuid(2), reader.GetInt64(3), reader.GetString(4), reader.GetInt32(5), UtcTimestampConverter.FromStore(reader.GetDateTime(6))));
        }

        return results;
    }

    /// <summary>A session as a combining key, apart from every agent id (a name-based hash, not an id anyone stores).</summary>
    private static Guid SessionKey(string session) => new(SHA256.HashData(Encoding.UTF8.GetBytes("session:" + session)).AsSpan(0, 16));
}
