using AgentOrchestration.Data.Delegation;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Internal;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Validation;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Claims;

/// <summary>The default <see cref="IWorkClaimer"/>: the claim itself is the provider's (one statement on PostgreSQL, one write transaction on SQLite).</summary>
internal sealed class WorkClaimer(OrchestrationContext orchestration, DelegationService delegation, OrchestrationClock clock) : IWorkClaimer
{
    private const int MaxClaimAttempts = 5;
    private readonly DbContext db = orchestration.Context;

    public async Task<ClaimedWork?> ClaimNextAsync(Guid agentId, Guid projectId, ClaimOptions? options = null, CancellationToken cancellationToken = default) =>
        await ClaimAsync(agentId, projectId, 1, options, cancellationToken).ConfigureAwait(false) is [var claimed] ? claimed : null;

    public Task<IReadOnlyList<ClaimedWork>> ClaimBatchAsync(Guid agentId, Guid projectId, int maxItems, ClaimOptions? options = null, CancellationToken cancellationToken = default) =>
        ClaimAsync(agentId, projectId, maxItems, options, cancellationToken);

    public async Task<ClaimedWork> RenewAsync(WorkLease lease, TimeSpan? leaseDuration = null, CancellationToken cancellationToken = default)
    {
        ClaimValidation.Renew(lease, leaseDuration);
        var duration = leaseDuration ?? new ClaimOptions().LeaseDuration;
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
        ClaimValidation.Release(lease, reason);
        await delegation.CancelAsync(lease.WorkItemId, Fenced(lease, reason), cancellationToken).ConfigureAwait(false);
    }

    public async Task CompleteAsync(WorkLease lease, CancellationToken cancellationToken = default)
    {
        ClaimValidation.Lease(lease);
        await delegation.CompleteClaimAsync(lease.WorkItemId, Fenced(lease, note: null), cancellationToken).ConfigureAwait(false);
    }

    private static DelegationOptions Fenced(WorkLease lease, string? note) => new() { FencingToken = lease.FencingToken, LeaseAssignmentId = lease.AssignmentId, Note = note };

    private async Task<IReadOnlyList<ClaimedWork>> ClaimAsync(Guid agentId, Guid projectId, int maxItems, ClaimOptions? options, CancellationToken cancellationToken)
    {
        ClaimValidation.Claim(agentId, projectId, maxItems, options);
        options ??= new ClaimOptions();
        var duration = options.LeaseDuration;
        var key = options.IdempotencyKey;

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
}
