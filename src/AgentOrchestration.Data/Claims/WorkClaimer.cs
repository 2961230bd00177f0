using AgentOrchestration.Data.Delegation;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Internal;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Sessions;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Claims;

/// <summary>The default <see cref="IWorkClaimer"/>: the claim itself is the provider's (one statement on PostgreSQL, one write transaction on SQLite).</summary>
internal sealed class WorkClaimer(OrchestrationContext orchestration, DelegationService delegation, OrchestrationClock clock, QaPolicy qaPolicy) : IWorkClaimer
{
    private const int MaxBatch = 1000;
    private const int MaxClaimAttempts = 5;
    private readonly DbContext db = orchestration.Context;

    public async Task<ClaimedWork?> ClaimNextAsync(Guid agentId, Guid projectId, ClaimOptions? options = null, CancellationToken cancellationToken = default) =>
        await ClaimAsync(agentId, projectId, 1, options, cancellationToken).ConfigureAwait(false) is [var claimed] ? claimed : null;

    public Task<IReadOnlyList<ClaimedWork>> ClaimBatchAsync(Guid agentId, Guid projectId, int maxItems, ClaimOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (maxItems is < 1 or > MaxBatch)
        {
            throw new ArgumentOutOfRangeException(nameof(maxItems), maxItems, $"A batch claims from 1 to {MaxBatch} items.");
        }

        return ClaimAsync(agentId, projectId, maxItems, options, cancellationToken);
    }

    public async Task<ClaimedWork> RenewAsync(WorkLease lease, TimeSpan? leaseDuration = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var duration = ValidLease(leaseDuration ?? new ClaimOptions().LeaseDuration);
        if (await TryFastRenewAsync(lease, duration, cancellationToken).ConfigureAwait(false) is { } renewed)
        {
            return renewed;
        }

        return await WithLeaseAsync(lease, (item, assignment, now) =>
        {
            assignment.LeaseExpiresAt = now + duration;
            assignment.UpdatedAt = now;
            Events.Append(db, now, "work_item.lease_renewed", item.ProjectId, "work_item", item.Id, assignment.AgentId.ToString(),
                new EventPayload { AgentId = assignment.AgentId, WorkItemId = item.Id });
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task ReleaseAsync(WorkLease lease, string? reason = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        await delegation.CancelAsync(lease.WorkItemId, Fenced(lease, reason), cancellationToken).ConfigureAwait(false);
    }

    public async Task CompleteAsync(WorkLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        if (await TryFastCompleteAsync([lease], cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await delegation.CompleteClaimAsync(lease.WorkItemId, Fenced(lease, note: null), cancellationToken).ConfigureAwait(false);
    }

    public async Task CompleteBatchAsync(IReadOnlyCollection<WorkLease> leases, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(leases);
        if (leases.Any(l => l is null))
        {
            throw new ArgumentException("The leases contain null: pass the lease of each claimed item.", nameof(leases));
        }

        if (leases.GroupBy(l => l.WorkItemId).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new ArgumentException($"The leases contain the work item '{twice.Key}' {twice.Count()} times: complete each item once.", nameof(leases));
        }

        // In work item order, the order the fast path locks them in: two batches never wait on each other crosswise.
        var ordered = leases.OrderBy(l => l.WorkItemId).ToList();
        if (ordered.Count == 0 || await TryFastCompleteAsync(ordered, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        // The general path, one lease after another in one transaction: the first refusal rolls every one back.
        Tracking.Reset(db);
        try
        {
            await using var transaction = await OrchestrationProviders.For(db).BeginSerializedAsync(db, "complete-batch", cancellationToken).ConfigureAwait(false);
            foreach (var lease in ordered)
            {
                await delegation.CompleteClaimAsync(lease.WorkItemId, Fenced(lease, note: null), cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    /// <summary>
    /// The provider's one-round-trip completion, only outside a caller's transaction (inside one, writes join it under a
    /// savepoint). <see langword="false"/> when it wrote nothing: the general path then decides and refuses precisely.
    /// </summary>
    private async Task<bool> TryFastCompleteAsync(IReadOnlyList<WorkLease> leases, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is not null)
        {
            return false;
        }

        Tracking.Reset(db);
        return await OrchestrationProviders.For(db).TryCompleteClaimsAsync(db, new CompletionRequest(leases, clock.DecidingClock(db), qaPolicy), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The provider's one-round-trip renewal, as <see cref="TryFastCompleteAsync"/>; <see langword="null"/> when it wrote nothing.</summary>
    private async Task<ClaimedWork?> TryFastRenewAsync(WorkLease lease, TimeSpan duration, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is not null)
        {
            return null;
        }

        Tracking.Reset(db);
        return await OrchestrationProviders.For(db).TryRenewAsync(db, lease, duration, clock.DecidingClock(db), cancellationToken).ConfigureAwait(false);
    }

    private static DelegationOptions Fenced(WorkLease lease, string? note) => new() { FencingToken = lease.FencingToken, LeaseAssignmentId = lease.AssignmentId, Note = note };

    private async Task<IReadOnlyList<ClaimedWork>> ClaimAsync(Guid agentId, Guid projectId, int maxItems, ClaimOptions? options, CancellationToken cancellationToken)
    {
        options ??= new ClaimOptions();
        var duration = ValidLease(options.LeaseDuration);
        var key = options.IdempotencyKey;
        if (key is not null && (key.Length is 0 or > ClaimOptions.MaxIdempotencyKeyLength || key.Contains('#', StringComparison.Ordinal)))
        {
            throw new ArgumentException(
                $"The idempotency key '{key}' is not valid: 1 to {ClaimOptions.MaxIdempotencyKeyLength} characters, without '#'.", nameof(options));
        }

        if (options.SessionId is not null)
        {
            SessionIds.ValidLookup(options.SessionId, nameof(options));
        }

        var bound = key is null ? null : new ClaimIdempotency.Request(projectId, maxItems, duration, options.SessionId);
        if (key is not null && await ReplayAsync(agentId, key, bound!, cancellationToken).ConfigureAwait(false) is { } replayed)
        {
            return replayed;
        }

        var ids = Enumerable.Range(0, maxItems).Select(_ => UuidV7.NewGuid()).ToList();
        var request = new ClaimRequest(agentId, projectId, clock.DecidingClock(db), duration, options.Actor ?? agentId.ToString(), ids, key, options.SessionId, bound?.Format());

        Tracking.Reset(db);
        var provider = OrchestrationProviders.For(db);
        IReadOnlyList<ClaimRow> rows;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                rows = await provider.ClaimAsync(db, request, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (Exception exception) when (provider.IsUniqueViolation(exception) && attempt < MaxClaimAttempts)
            {
                // Either a concurrent retry with the same key won (its claim is the answer), or a concurrent change of
                // an item made this claim compute a fencing token that is taken; the statement wrote nothing.
                db.ChangeTracker.Clear();
                if (key is not null && await ReplayAsync(agentId, key, bound!, cancellationToken).ConfigureAwait(false) is { } winner)
                {
                    return winner;
                }
            }
        }

        if (rows.Count == 0)
        {
            // A claim with this key committed while this one waited for the agent's lock: the claim took nothing, and
            // the earlier claim is the answer (or the refusal, if it was a different request).
            if (key is not null && await ReplayAsync(agentId, key, bound!, cancellationToken).ConfigureAwait(false) is { } earlier)
            {
                return earlier;
            }

            // Only an empty claim pays for telling "nothing ready" from a caller error.
            await EnsureClaimableAsync(agentId, projectId, options.SessionId, cancellationToken).ConfigureAwait(false);
        }

        // What the claim's own statement wrote is now stale in any tracked copy.
        db.ChangeTracker.Clear();
        return rows.Select(r => new ClaimedWork(new WorkLease(r.WorkItemId, r.AssignmentId, r.FencingToken), projectId, r.Title, r.Priority, r.LeaseExpiresAt)).ToList();
    }

    /// <summary>
    /// What an earlier claim of this agent with this key took (in any project), or <see langword="null"/> if there was none.
    /// </summary>
    /// <exception cref="IdempotencyKeyReusedException">The earlier claim was a different request.</exception>
    private async Task<IReadOnlyList<ClaimedWork>?> ReplayAsync(Guid agentId, string key, ClaimIdempotency.Request request, CancellationToken cancellationToken)
    {
        var earlier = await ClaimIdempotency.FindAsync(db, agentId, key, cancellationToken).ConfigureAwait(false);
        if (earlier.Count == 0)
        {
            return null;
        }

        ClaimIdempotency.EnsureSameRequest(agentId, key, earlier, request);
        return earlier.OrderBy(a => a.Priority).ThenBy(a => a.AssignmentId)
            .Select(a => new ClaimedWork(new WorkLease(a.WorkItemId, a.AssignmentId, a.FencingToken), a.ProjectId, a.Title, a.Priority, a.LeaseExpiresAt ?? a.AssignedAt))
            .ToList();
    }

    private async Task EnsureClaimableAsync(Guid agentId, Guid projectId, string? sessionId, CancellationToken cancellationToken)
    {
        var agent = await db.Set<AgentProfile>().AsNoTracking().Where(a => a.Id == agentId)
            .Select(a => new { a.Slug, a.Status }).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new EntityNotFoundException("agent", agentId);
        if (agent.Status != AgentStatus.Active)
        {
            throw new InvalidStateTransitionException("agent", agent.Slug, StoredEnum.ToStore(agent.Status), "claim", ["active agents claim work"]);
        }

        if (!await db.Set<Project>().AnyAsync(p => p.Id == projectId, cancellationToken).ConfigureAwait(false))
        {
            throw new EntityNotFoundException("project", projectId);
        }

        if (sessionId is not null)
        {
            var session = await db.Set<AgentSession>().AsNoTracking().SingleOrDefaultAsync(s => s.SessionId == sessionId, cancellationToken).ConfigureAwait(false);
            ImplementingSession.Ensure(session, sessionId, projectId, agentId);
        }
    }

    private async Task<ClaimedWork> WithLeaseAsync(WorkLease lease, Action<WorkItem, TaskAssignment, DateTimeOffset> change, CancellationToken cancellationToken)
    {
        Tracking.Reset(db);
        try
        {
            return await WithLockedLeaseAsync(lease, change, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    private async Task<ClaimedWork> WithLockedLeaseAsync(WorkLease lease, Action<WorkItem, TaskAssignment, DateTimeOffset> change, CancellationToken cancellationToken)
    {
        await using var transaction = await OrchestrationProviders.For(db).BeginWorkItemTransactionAsync(db, lease.WorkItemId, cancellationToken).ConfigureAwait(false);
        var now = await clock.DecideAsync(db, cancellationToken).ConfigureAwait(false);
        var item = await db.Set<WorkItem>().Include(w => w.CurrentAssignment).SingleOrDefaultAsync(w => w.Id == lease.WorkItemId, cancellationToken).ConfigureAwait(false)
            ?? throw new LeaseLostException(lease.WorkItemId, lease.FencingToken, "no such work item");
        LeaseCheck.Ensure(item, lease.AssignmentId, lease.FencingToken, now);
        var assignment = item.CurrentAssignment!;
        change(item, assignment, now);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);

        return new ClaimedWork(lease, item.ProjectId, item.Title, item.Priority, assignment.LeaseExpiresAt ?? now);
    }

    private static TimeSpan ValidLease(TimeSpan duration) =>
        duration > TimeSpan.Zero && duration <= ClaimOptions.MaxLeaseDuration
            ? duration
            : throw new ArgumentOutOfRangeException(nameof(duration), duration, $"A lease lasts more than zero and at most {ClaimOptions.MaxLeaseDuration}.");
}
