using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.PostgreSql.Storage;
using AgentOrchestration.Data.Qa;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace AgentOrchestration.Data.PostgreSql.Claims;

/// <summary>
/// Concurrent completions of one process on one database combined into one execution of the multi-lease complete
/// (<see cref="PostgreSqlLeaseStrategy.TryCompleteAsync"/>, which checks each lease on its own, whichever agent holds it):
/// the statement's and the transaction's fixed costs (plan, locks, commit, NOTIFY, the round trip) are paid once for up
/// to 64 leases. The statement is all or nothing, so when one lease fails it writes nothing and each caller completes alone.
/// </summary>
internal sealed class CompletionCombiner : StatementCombiner<CompletionRequest, bool>
{
    // Per policy (a host's singleton, so this lives as long as its services), then per model, database and clock: only
    // completions the one statement decides alike share it.
    private static readonly ConditionalWeakTable<QaPolicy, ConcurrentDictionary<(IModel Model, string? Database, TimeProvider? Clock), CompletionCombiner>> ByPolicy = [];

    private static readonly bool[][] AllCompleted = [.. Enumerable.Range(0, 65).Select(n => Enumerable.Repeat(true, n).ToArray())];

    /// <summary>Completes <paramref name="request"/>'s leases as <see cref="PostgreSqlLeaseStrategy.TryCompleteAsync"/> does, sharing the round trip with concurrent completions.</summary>
    public static Task<bool> TryCompleteAsync(DbContext db, CompletionRequest request, CancellationToken cancellationToken) =>
        ByPolicy.GetValue(request.QaPolicy, static _ => new())
            .GetOrAdd((db.Model, db.Database.GetConnectionString(), request.Clock), static _ => new CompletionCombiner())
            .RunAsync(db, request, cancellationToken);

    protected override int Size(CompletionRequest request) => request.Leases.Count;

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
        return await PostgreSqlLeaseStrategy.TryCompleteAsync(db, combined, cancellationToken).ConfigureAwait(false)
            ? AllCompleted[requests.Count]
            : null;
    }
}
