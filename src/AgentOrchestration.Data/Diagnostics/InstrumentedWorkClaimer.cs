using System.Diagnostics;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Faults;
using AgentOrchestration.Data.Storage;

namespace AgentOrchestration.Data.Diagnostics;

/// <summary>
/// <see cref="IWorkClaimer"/> as registered: each operation under the retry policy (<see cref="ServiceBoundary{TService}"/>),
/// each attempt with its span, metrics and logs around the claimer that does the work, so the claim path itself carries
/// no telemetry code. Npgsql's and EF Core's spans nest under these.
/// </summary>
internal sealed class InstrumentedWorkClaimer(WorkClaimer inner, OrchestrationTelemetry telemetry, FaultPolicy policy, OrchestrationContext orchestration)
    : ServiceBoundary<IWorkClaimer>(policy, orchestration), IWorkClaimer
{
    private const string Prefix = nameof(IWorkClaimer) + ".";

    public Task<ClaimedWork?> ClaimNextAsync(Guid agentId, Guid projectId, ClaimOptions? options = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(ClaimNextAsync), (self: this, agentId, projectId, options), static (s, ct) => s.self.ClaimNextOnceAsync(s.agentId, s.projectId, s.options, ct), cancellationToken);

    public Task<IReadOnlyList<ClaimedWork>> ClaimBatchAsync(Guid agentId, Guid projectId, int maxItems, ClaimOptions? options = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(ClaimBatchAsync), (self: this, agentId, projectId, maxItems, options), static (s, ct) => s.self.ClaimBatchOnceAsync(s.agentId, s.projectId, s.maxItems, s.options, ct), cancellationToken);

    public Task<ClaimedWork> RenewAsync(WorkLease lease, TimeSpan? leaseDuration = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(RenewAsync), (self: this, lease, leaseDuration), static (s, ct) => s.self.RenewOnceAsync(s.lease, s.leaseDuration, ct), cancellationToken);

    public Task ReleaseAsync(WorkLease lease, string? reason = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(ReleaseAsync), (self: this, lease, reason), static (s, ct) => s.self.ReleaseOnceAsync(s.lease, s.reason, ct), cancellationToken);

    public Task CompleteAsync(WorkLease lease, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(CompleteAsync), (self: this, lease), static (s, ct) => s.self.CompleteOnceAsync(s.lease, ct), cancellationToken);

    public Task<ClaimedWork?> CompleteAndClaimNextAsync(WorkLease lease, Guid agentId, Guid projectId, ClaimOptions? options = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(CompleteAndClaimNextAsync), (self: this, lease, agentId, projectId, options), static (s, ct) => s.self.CompleteAndClaimNextOnceAsync(s.lease, s.agentId, s.projectId, s.options, ct), cancellationToken);

    public Task CompleteBatchAsync(IReadOnlyCollection<WorkLease> leases, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(CompleteBatchAsync), (self: this, leases), static (s, ct) => s.self.CompleteBatchOnceAsync(s.leases, ct), cancellationToken);

    private async Task<ClaimedWork?> ClaimNextOnceAsync(Guid agentId, Guid projectId, ClaimOptions? options, CancellationToken cancellationToken)
    {
        using var span = ClaimSpan(agentId, projectId);
        var started = Stopwatch.GetTimestamp();
        var outcome = Outcomes.Error;
        try
        {
            var claimed = await inner.ClaimNextAsync(agentId, projectId, options, cancellationToken).ConfigureAwait(false);
            outcome = Claimed(span, agentId, projectId, claimed is null ? 0 : 1, claimed);
            return claimed;
        }
        catch (Exception exception)
        {
            outcome = ClaimFailed(span, agentId, projectId, exception);
            throw;
        }
        finally
        {
            ClaimEnded(outcome, started);
        }
    }

    private async Task<IReadOnlyList<ClaimedWork>> ClaimBatchOnceAsync(Guid agentId, Guid projectId, int maxItems, ClaimOptions? options, CancellationToken cancellationToken)
    {
        using var span = ClaimSpan(agentId, projectId);
        var started = Stopwatch.GetTimestamp();
        var outcome = Outcomes.Error;
        try
        {
            var claimed = await inner.ClaimBatchAsync(agentId, projectId, maxItems, options, cancellationToken).ConfigureAwait(false);
            outcome = Claimed(span, agentId, projectId, claimed.Count, claimed.Count == 0 ? null : claimed[0]);
            return claimed;
        }
        catch (Exception exception)
        {
            outcome = ClaimFailed(span, agentId, projectId, exception);
            throw;
        }
        finally
        {
            ClaimEnded(outcome, started);
        }
    }

    private async Task<ClaimedWork> RenewOnceAsync(WorkLease lease, TimeSpan? leaseDuration, CancellationToken cancellationToken)
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

    private async Task<bool> ReleaseOnceAsync(WorkLease lease, string? reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        using var span = LeaseSpan(SpanNames.Release, lease);
        try
        {
            await inner.ReleaseAsync(lease, reason, cancellationToken).ConfigureAwait(false);
            span?.SetTag(TagNames.Outcome, Outcomes.Ok);
            OrchestrationLog.LeaseReleased(telemetry.Claims, lease.WorkItemId, lease.FencingToken);
            return true;
        }
        catch (Exception exception)
        {
            LeaseFailed("Release", span, lease, exception);
            throw;
        }
    }

    private async Task<bool> CompleteOnceAsync(WorkLease lease, CancellationToken cancellationToken)
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
            return true;
        }
        catch (Exception exception)
        {
            var outcome = LeaseFailed("Complete", span, lease, exception);
            telemetry.CompleteDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>(TagNames.Outcome, outcome));
            throw;
        }
    }

    /// <summary>
    /// One span for the call (the completed item's id and token, the claim's outcome and count), and each part's metrics
    /// and logs as its own call records them, only for the parts that ran: the completion's duration, the claim's count
    /// and duration (each the whole call's time).
    /// </summary>
    private async Task<ClaimedWork?> CompleteAndClaimNextOnceAsync(WorkLease lease, Guid agentId, Guid projectId, ClaimOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        using var span = LeaseSpan(SpanNames.CompleteAndClaim, lease)?.SetTag(TagNames.AgentId, agentId).SetTag(TagNames.ProjectId, projectId);
        var started = Stopwatch.GetTimestamp();
        void Completion(string outcome) =>
            telemetry.CompleteDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>(TagNames.Outcome, outcome));
        try
        {
            // Bad input is refused before anything is written, so a later ArgumentException is the claim's, after the completion.
            Validation.ClaimValidation.Lease(lease);
            Validation.ClaimValidation.Claim(agentId, projectId, 1, options);
        }
        catch (ArgumentException exception)
        {
            Completion(LeaseFailed("Complete", span, lease, exception));
            throw;
        }

        string claimOutcome;
        ClaimedWork? next;
        try
        {
            next = await inner.CompleteAndClaimNextAsync(lease, agentId, projectId, options, cancellationToken).ConfigureAwait(false);
            Completion(Outcomes.Ok);
            OrchestrationLog.WorkCompleted(telemetry.Claims, lease.WorkItemId, lease.FencingToken);
            claimOutcome = Claimed(null, agentId, projectId, next is null ? 0 : 1, next);
            span?.SetTag(TagNames.Outcome, claimOutcome).SetTag(TagNames.WorkItemCount, next is null ? 0 : 1);
        }
        catch (Exception exception) when (exception is LeaseLostException or QaGateException)
        {
            // The completion refused: nothing was written and no claim was made.
            Completion(LeaseFailed("Complete", span, lease, exception));
            throw;
        }
        catch (Exception exception)
        {
            // The claim refused after the completion stood, or a fault or a cancellation (the completion's outcome unknown).
            claimOutcome = ClaimFailed(span, agentId, projectId, exception);
            if (claimOutcome == Outcomes.Refused)
            {
                Completion(Outcomes.Ok);
                OrchestrationLog.WorkCompleted(telemetry.Claims, lease.WorkItemId, lease.FencingToken);
            }
            else
            {
                Completion(claimOutcome);
            }

            ClaimEnded(claimOutcome, started);
            throw;
        }

        ClaimEnded(claimOutcome, started);
        return next;
    }

    private async Task<bool> CompleteBatchOnceAsync(IReadOnlyCollection<WorkLease> leases, CancellationToken cancellationToken)
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
            return true;
        }
        catch (Exception exception)
        {
            var outcome = OrchestrationTelemetry.Fail(span, exception);
            telemetry.CompleteDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>(TagNames.Outcome, outcome));
            throw;
        }
    }

    private static Activity? ClaimSpan(Guid agentId, Guid projectId) =>
        OrchestrationTelemetry.StartSpan(SpanNames.Claim)?.SetTag(TagNames.AgentId, agentId).SetTag(TagNames.ProjectId, projectId);

    private string Claimed(Activity? span, Guid agentId, Guid projectId, int count, ClaimedWork? first)
    {
        var outcome = count == 0 ? Outcomes.Empty : Outcomes.Claimed;
        span?.SetTag(TagNames.Outcome, outcome).SetTag(TagNames.WorkItemCount, count);
        if (first is not null)
        {
            span?.SetTag(TagNames.WorkItemId, first.Lease.WorkItemId).SetTag(TagNames.FencingToken, first.Lease.FencingToken);
            telemetry.ClaimedItems.Add(count);
            OrchestrationLog.WorkClaimed(telemetry.Claims, agentId, count, projectId, first.Lease.WorkItemId, first.Lease.FencingToken);
        }
        else
        {
            OrchestrationLog.NothingToClaim(telemetry.Claims, agentId, projectId);
        }

        return outcome;
    }

    private string ClaimFailed(Activity? span, Guid agentId, Guid projectId, Exception exception)
    {
        var outcome = OrchestrationTelemetry.Fail(span, exception);
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

        return outcome;
    }

    private void ClaimEnded(string outcome, long started)
    {
        var tag = new KeyValuePair<string, object?>(TagNames.Outcome, outcome);
        telemetry.ClaimsCounter.Add(1, tag);
        if (telemetry.ClaimDuration.Enabled)
        {
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
