using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.PostgreSql.Storage;
using AgentOrchestration.Data.Qa;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;

namespace AgentOrchestration.Data.PostgreSql.Claims;

/// <summary>
/// Concurrent completions of one process on one database combined into one execution of the multi-lease complete
/// (<see cref="PostgreSqlLeaseStrategy.TryCompleteAsync"/>, which checks each lease on its own, whichever agent holds it):
/// the statement's and the transaction's fixed costs (plan, locks, commit, NOTIFY, the round trip) are paid once for up
/// to 64 leases. The statement is all or nothing, so when one lease fails it writes nothing and each caller completes alone.
/// A combined execution waits for row locks at most <see cref="LockWait"/>: a completion stuck behind a lock (a host's
/// transaction holding its item) would otherwise hold up every completion queued behind it; past that, nothing is
/// written and each caller completes alone, waiting for its own locks as long as it always did.
/// </summary>
internal sealed class CompletionCombiner : StatementCombiner<CompletionRequest, bool>
{
    // Per policy (a host's singleton, so this lives as long as its services), then per model, database and clock: only
    // completions the one statement decides alike share it.
    private static readonly ConditionalWeakTable<QaPolicy, CombinerRegistry<(IModel Model, string? Database, TimeProvider? Clock), CompletionRequest, bool>> ByPolicy = [];

    /// <summary>How long a combined execution waits for a row lock before each of its callers completes alone.</summary>
    internal const string LockWait = "50ms";

    /// <summary>The most leases a completion may carry and still be combined.</summary>
    private const int MaxCombinedLeases = 16;

    private static readonly bool[][] AllCompleted = [.. Enumerable.Range(0, 65).Select(n => Enumerable.Repeat(true, n).ToArray())];

    /// <summary>Completes <paramref name="request"/>'s leases as <see cref="PostgreSqlLeaseStrategy.TryCompleteAsync"/> does, sharing the round trip with concurrent completions.</summary>
    public static Task<bool> TryCompleteAsync(DbContext db, CompletionRequest request, CancellationToken cancellationToken) =>
        // Inside an ambient TransactionScope Npgsql enlists the connection: a combined execution there would commit or
        // roll back other callers' completions with this caller's scope, so such a call never combines.
        System.Transactions.Transaction.Current is not null
            ? PostgreSqlLeaseStrategy.TryCompleteAsync(db, request, cancellationToken)
            : ByPolicy.GetValue(request.QaPolicy, static _ => new())
                .RunAsync((db.Model, db.Database.GetConnectionString(), request.Clock), static _ => new CompletionCombiner(), 0, db, request, cancellationToken);

    /// <summary>The combiners of <paramref name="policy"/>'s completions, if it completed (for tests).</summary>
    internal static CombinerRegistry<(IModel Model, string? Database, TimeProvider? Clock), CompletionRequest, bool>? Registry(QaPolicy policy) =>
        ByPolicy.TryGetValue(policy, out var registry) ? registry : null;

    // A large batch completion already pays its fixed costs over many leases; queued, it would only wait for the one in
    // flight (two rarely fit one execution), so it runs alone at once, never queued, as a large batch claim does.
    protected override int Size(CompletionRequest request) => request.Leases.Count <= MaxCombinedLeases ? request.Leases.Count : MaxSize;

    protected override IEnumerable<Guid> Keys(CompletionRequest request) => request.Leases.Select(l => l.WorkItemId);

    protected override Task<bool> RunAloneAsync(DbContext db, CompletionRequest request, CancellationToken cancellationToken) =>
        PostgreSqlLeaseStrategy.TryCompleteAsync(db, request, cancellationToken);

    protected override async Task<IReadOnlyList<bool>?> RunCombinedAsync(DbContext db, IReadOnlyList<CompletionRequest> requests, CancellationToken cancellationToken)
    {
        var leases = new List<WorkLease>();
        foreach (var request in requests)
        {
            leases.AddRange(request.Leases);
        }

        // Locked and written in item order, as every completion is, so combined ones never deadlock with single ones.
        leases.Sort((a, b) => a.WorkItemId.CompareTo(b.WorkItemId));
        var combined = new CompletionRequest(leases, requests[0].Clock, requests[0].QaPolicy);

        // For the batch's own transaction only, as the lock statement's plan_cache_mode.
        var lockWait = new NpgsqlBatchCommand($"SELECT set_config('lock_timeout', '{LockWait}', true)");
        try
        {
            return await PostgreSqlLeaseStrategy.TryCompleteAsync(db, combined, cancellationToken, lockWait).ConfigureAwait(false)
                ? AllCompleted[requests.Count]
                : null;
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            // The server rolled the batch back (nothing written) and the connection goes on.
            return null;
        }
    }
}
