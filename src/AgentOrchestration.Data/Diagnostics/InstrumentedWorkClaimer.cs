using System.Diagnostics;
using AgentOrchestration.Data.Claims;

namespace AgentOrchestration.Data.Diagnostics;

/// <summary>
/// <see cref="IWorkClaimer"/> as registered: the span, metrics and logs of each operation around the claimer that does the
/// work, so the claim path itself carries no telemetry code. Npgsql's and EF Core's spans nest under these.
/// </summary>
internal sealed class InstrumentedWorkClaimer(WorkClaimer inner, OrchestrationTelemetry telemetry) : IWorkClaimer
{
    public async Task<ClaimedWork?> ClaimNextAsync(Guid agentId, Guid projectId, ClaimOptions? options = null, CancellationToken cancellationToken = default)
    {
        var claimed = await ClaimAsync(agentId, projectId, 1, async () =>
            await inner.ClaimNextAsync(agentId, projectId, options, cancellationToken).ConfigureAwait(false) is { } one ? [one] : []).ConfigureAwait(false);
        return claimed.Count == 0 ? null : claimed[0];
    }

    public Task<IReadOnlyList<ClaimedWork>> ClaimBatchAsync(Guid agentId, Guid projectId, int maxItems, ClaimOptions? options = null, CancellationToken cancellationToken = default) =>
        ClaimAsync(agentId, projectId, maxItems, () => inner.ClaimBatchAsync(agentId, projectId, maxItems, options, cancellationToken));

    public async Task<ClaimedWork> RenewAsync(WorkLease lease, TimeSpan? leaseDuration = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        using var span = LeaseSpan(SpanNames.Renew, lease);
        try
        {
            var renewed = await inner.RenewAsync(lease, leaseDuration, cancellationToken).ConfigureAwait(false);
            span?.SetTag(TagNames.ProjectId, renewed.ProjectId).SetTag(TagNames.Outcome, Outcomes.Ok);
            OrchestrationLog.LeaseRenewed(telemetry.Claims, lease.WorkItemId, lease.FencingToken, renewed.LeaseExpiresAt);
            return renewed;
        }
        catch (Exception exception)
        {
            LeaseFailed("Renew", span, lease, exception);
            throw;
        }
    }

    public async Task ReleaseAsync(WorkLease lease, string? reason = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        using var span = LeaseSpan(SpanNames.Release, lease);
        try
        {
            await inner.ReleaseAsync(lease, reason, cancellationToken).ConfigureAwait(false);
            span?.SetTag(TagNames.Outcome, Outcomes.Ok);
            OrchestrationLog.LeaseReleased(telemetry.Claims, lease.WorkItemId, lease.FencingToken);
        }
        catch (Exception exception)
        {
            LeaseFailed("Release", span, lease, exception);
            throw;
        }
    }

    public async Task CompleteAsync(WorkLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        using var span = LeaseSpan(SpanNames.Complete, lease);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await inner.CompleteAsync(lease, cancellationToken).ConfigureAwait(false);
            span?.SetTag(TagNames.Outcome, Outcomes.Ok);
            telemetry.CompleteDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>(TagNames.Outcome, Outcomes.Ok));
            OrchestrationLog.WorkCompleted(telemetry.Claims, lease.WorkItemId, lease.FencingToken);
        }
        catch (Exception exception)
        {
            var outcome = LeaseFailed("Complete", span, lease, exception);
            telemetry.CompleteDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>(TagNames.Outcome, outcome));
            throw;
        }
    }

    public async Task CompleteBatchAsync(IReadOnlyCollection<WorkLease> leases, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(leases);
        using var span = OrchestrationTelemetry.StartSpan(SpanNames.Complete);
        span?.SetTag(TagNames.WorkItemCount, leases.Count);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await inner.CompleteBatchAsync(leases, cancellationToken).ConfigureAwait(false);
            span?.SetTag(TagNames.Outcome, Outcomes.Ok);
            telemetry.CompleteDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>(TagNames.Outcome, Outcomes.Ok));
        }
        catch (Exception exception)
        {
            var outcome = OrchestrationTelemetry.Fail(span, exception);
            telemetry.CompleteDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>(TagNames.Outcome, outcome));
            throw;
        }
    }

    private async Task<IReadOnlyList<ClaimedWork>> ClaimAsync(Guid agentId, Guid projectId, int maxItems, Func<Task<IReadOnlyList<ClaimedWork>>> claim)
    {
        using var span = OrchestrationTelemetry.StartSpan(SpanNames.Claim);
        span?.SetTag(TagNames.AgentId, agentId).SetTag(TagNames.ProjectId, projectId);
        var started = Stopwatch.GetTimestamp();
        var outcome = Outcomes.Error;
        try
        {
            var claimed = await claim().ConfigureAwait(false);
            outcome = claimed.Count == 0 ? Outcomes.Empty : Outcomes.Claimed;
            span?.SetTag(TagNames.Outcome, outcome).SetTag(TagNames.WorkItemCount, claimed.Count);
            if (claimed.Count > 0)
            {
                var first = claimed[0].Lease;
                span?.SetTag(TagNames.WorkItemId, first.WorkItemId).SetTag(TagNames.FencingToken, first.FencingToken);
                telemetry.ClaimedItems.Add(claimed.Count);
                OrchestrationLog.WorkClaimed(telemetry.Claims, agentId, claimed.Count, projectId, first.WorkItemId, first.FencingToken);
            }
            else
            {
                OrchestrationLog.NothingToClaim(telemetry.Claims, agentId, projectId);
            }

            return claimed;
        }
        catch (Exception exception)
        {
            outcome = OrchestrationTelemetry.Fail(span, exception);
            if (outcome == Outcomes.Error)
            {
                OrchestrationLog.OperationFailed(telemetry.Claims, exception, "Claim");
            }
            else if (outcome != Outcomes.Cancelled)
            {
                // Every claim refusal (not found, inactive agent, bad input, a reused key) counts as refused.
                outcome = Outcomes.Refused;
                OrchestrationLog.ClaimRefused(telemetry.Claims, agentId, projectId, exception);
            }

            throw;
        }
        finally
        {
            var tag = new KeyValuePair<string, object?>(TagNames.Outcome, outcome);
            telemetry.ClaimsCounter.Add(1, tag);
            telemetry.ClaimDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tag);
        }
    }

    private static Activity? LeaseSpan(string name, WorkLease lease) =>
        OrchestrationTelemetry.StartSpan(name)?.SetTag(TagNames.WorkItemId, lease.WorkItemId).SetTag(TagNames.FencingToken, lease.FencingToken);

    private string LeaseFailed(string operation, Activity? span, WorkLease lease, Exception exception)
    {
        var outcome = OrchestrationTelemetry.Fail(span, exception);
        switch (outcome)
        {
            case Outcomes.LeaseLost:
                telemetry.LeaseLosses.Add(1, new KeyValuePair<string, object?>(TagNames.Operation, operation.ToLowerInvariant()));
                OrchestrationLog.LeaseLost(telemetry.Claims, operation, lease.WorkItemId, lease.FencingToken, exception);
                break;
            case Outcomes.Error:
                OrchestrationLog.OperationFailed(telemetry.Claims, exception, operation);
                break;
            case Outcomes.Cancelled:
                break;
            default:
                OrchestrationLog.LeaseOperationRefused(telemetry.Claims, operation, lease.WorkItemId, lease.FencingToken, exception);
                break;
        }

        return outcome;
    }
}
