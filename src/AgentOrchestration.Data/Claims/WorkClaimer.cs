using AgentOrchestration.Data.Delegation;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Faults;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Storage;
using AgentOrchestration.Data.Validation;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Claims;

/// <summary>The default <see cref="IWorkClaimer"/>: the claim itself is the provider's (one statement on PostgreSQL, one write transaction on SQLite).</summary>
internal sealed class WorkClaimer(OrchestrationContext orchestration, WriteTransactions writes, ILeaseDelegation delegation, OrchestrationClock clock, FaultPolicy faults, QaPolicy qaPolicy) : IWorkClaimer
{
    private const int MaxClaimAttempts = 5;

    /// <summary>Starts the idempotency key of a claim made without one (<c>#</c> never occurs in a caller's key).</summary>
    private const string GeneratedKeyPrefix = "#auto:";

    /// <summary>The options of a claim made without any; only read, never handed out.</summary>
    private static readonly ClaimOptions Defaults = new();
    private readonly DbContext db = orchestration.Context;

    public async Task<ClaimedWork?> ClaimNextAsync(Guid agentId, Guid projectId, ClaimOptions? options = null, CancellationToken cancellationToken = default) =>
        await ClaimAsync(agentId, projectId, 1, options, cancellationToken).ConfigureAwait(false) is [var claimed] ? claimed : null;

    public Task<IReadOnlyList<ClaimedWork>> ClaimBatchAsync(Guid agentId, Guid projectId, int maxItems, ClaimOptions? options = null, CancellationToken cancellationToken = default) =>
        ClaimAsync(agentId, projectId, maxItems, options, cancellationToken);

    public async Task<ClaimedWork> RenewAsync(WorkLease lease, TimeSpan? leaseDuration = null, CancellationToken cancellationToken = default)
    {
        ClaimValidation.Renew(lease, leaseDuration);
        var duration = leaseDuration ?? Defaults.LeaseDuration;

        // Renewing twice only moves the expiry to the same distance from now again.
        FaultAttempt.MarkIdempotent();
        if (await TryFastRenewAsync(lease, duration, cancellationToken).ConfigureAwait(false) is { } renewed)
        {
            return renewed;
        }

        return await WithLeaseAsync(lease, (item, assignment, now) =>
        {
            assignment.LeaseExpiresAt = now + duration;
            assignment.UpdatedAt = now;
            Events.Append(db, now, OrchestrationEventTypes.WorkItemLeaseRenewed, item.ProjectId, "work_item", item.Id, assignment.AgentId.ToString(),
                new EventPayload { AgentId = assignment.AgentId, WorkItemId = item.Id });
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task ReleaseAsync(WorkLease lease, string? reason = null, CancellationToken cancellationToken = default)
    {
        ClaimValidation.Release(lease, reason);

        // Whoever ended the assignment (this release, or an expiry after it failed), the lease no longer holds the item.
        FaultAttempt.CheckLandedWith(ct => AssignmentEndedAsync(lease, status => status is not (AssignmentStatus.Assigned or AssignmentStatus.Started or AssignmentStatus.Paused), ct));
        await delegation.CancelAsync(lease.WorkItemId, Fenced(lease, reason), cancellationToken).ConfigureAwait(false);
    }

    public async Task CompleteAsync(WorkLease lease, CancellationToken cancellationToken = default)
    {
        ClaimValidation.Lease(lease);
        await CompleteValidAsync(lease, tryFast: true, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ClaimedWork?> CompleteAndClaimNextAsync(WorkLease lease, Guid agentId, Guid projectId, ClaimOptions? options = null, CancellationToken cancellationToken = default)
    {
        // Both parts' arguments before either writes: bad input changes nothing.
        ClaimValidation.Lease(lease);
        ClaimValidation.Claim(agentId, projectId, 1, options);
        var claim = Prepare(agentId, projectId, 1, options);
        var chained = db.Database.CurrentTransaction is null && System.Transactions.Transaction.Current is null
            ? await TryCompleteAndClaimAsync(lease, claim, cancellationToken).ConfigureAwait(false)
            : Chained.Declined;
        if (chained.Rows is { } rows)
        {
            return await ClaimedAsync(claim, rows, replay: !claim.OwnKey, cancellationToken).ConfigureAwait(false) is [var next] ? next : null;
        }

        if (chained.State != ChainState.Landed)
        {
            try
            {
                // Refused: the one-trip completion wrote nothing, and only the general path can say why (or complete after
                // all); declined or not landed: the completion as CompleteAsync makes it.
                await CompleteValidAsync(lease, tryFast: chained.State != ChainState.Refused, cancellationToken).ConfigureAwait(false);
            }
            catch (LeaseLostException) when (chained.State == ChainState.NotLanded || !claim.OwnKey)
            {
                // Completed after all: by the one-trip batch of this call, still queued on the agent's lock when the check
                // after its fault found nothing (it then claimed under this call's key), or by an earlier call with the
                // caller's key, whose claim this call replays. Only this lease completes its assignment.
                db.ChangeTracker.Clear();
                if (!await AssignmentEndedAsync(lease, status => status == AssignmentStatus.Completed, cancellationToken).ConfigureAwait(false))
                {
                    throw;
                }
            }
            catch (Exception exception) when (db.Database.CurrentTransaction is null && FaultAttempt.Current is { CommitStarted: true }
                && FaultPolicy.Classify(db, exception) == FaultKind.Transient)
            {
                // Its commit may have landed: if it did, the claim goes on (the service boundary would end the call there,
                // with nothing claimed); if not, the boundary runs the whole call again.
                db.ChangeTracker.Clear();
                if (!await CompletionLandedAsync(lease, exception, cancellationToken).ConfigureAwait(false))
                {
                    throw;
                }
            }
        }

        // After a fault the claim may have landed with the completion: the key finds it, or the claim is made now.
        return await ClaimAsync(claim, replay: chained.State != ChainState.Declined || !claim.OwnKey, cancellationToken).ConfigureAwait(false) is [var claimed] ? claimed : null;
    }

    public async Task CompleteBatchAsync(IReadOnlyCollection<WorkLease> leases, CancellationToken cancellationToken = default)
    {
        ClaimValidation.Leases(leases);

        // In work item order, the order the fast path locks them in: two batches never wait on each other crosswise.
        var ordered = leases.OrderBy(l => l.WorkItemId).ToList();

        // All or none, so one completed assignment of the batch means the whole batch landed.
        FaultAttempt.CheckLandedWith(ct => ordered.Count == 0
            ? Task.FromResult(true)
            : AssignmentEndedAsync(ordered[0], status => status == AssignmentStatus.Completed, ct));
        if (ordered.Count == 0 || await TryFastCompleteAsync(ordered, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        // The general path, one lease after another in one transaction: the first refusal rolls every one back.
        await writes.RunAsync("work_item.complete_batch", LockScope.CompleteBatch, async ct =>
        {
            foreach (var lease in ordered)
            {
                await delegation.CompleteClaimAsync(lease.WorkItemId, Fenced(lease, note: null), ct).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A lease's completion, as <see cref="CompleteAsync"/> makes it once its argument was checked; <paramref name="tryFast"/> = <see langword="false"/> goes to the general path at once.</summary>
    private async Task CompleteValidAsync(WorkLease lease, bool tryFast, CancellationToken cancellationToken)
    {
        // Only this lease completes its assignment, so a completed assignment is this completion, landed.
        FaultAttempt.CheckLandedWith(ct => AssignmentEndedAsync(lease, status => status == AssignmentStatus.Completed, ct));
        if (tryFast && await TryFastCompleteAsync([lease], cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await delegation.CompleteClaimAsync(lease.WorkItemId, Fenced(lease, note: null), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The provider's completion and claim in one round trip and one transaction. After a fault it learns whether that
    /// transaction landed (the lease's assignment completed, waiting for a commit still in flight), retrying the check
    /// while the fault lasts, so the caller goes on from what the database holds.
    /// </summary>
    private async Task<Chained> TryCompleteAndClaimAsync(WorkLease lease, PreparedClaim claim, CancellationToken cancellationToken)
    {
        var provider = OrchestrationProviders.For(db);
        Exception fault;
        try
        {
            var completion = new CompletionRequest([lease], claim.Request.Clock, qaPolicy);
            var outcome = await writes.RunStatementAsync(
                "work_item.complete_and_claim",
                ct => provider.TryCompleteAndClaimAsync(db, completion, claim.Request, ct),
                // The completion's event; the claim's are counted with the claim's result (ClaimedAsync).
                result => result is { Completed: true } ? 1 : 0,
                cancellationToken).ConfigureAwait(false);
            return outcome switch
            {
                null => Chained.Declined,
                { Completed: false } => Chained.Refused,
                { Rows: var rows } => new Chained(ChainState.Done, rows),
            };
        }
        catch (Exception exception) when (provider.IsUniqueViolation(exception))
        {
            // A concurrent claim took the fencing token this one computed, or a concurrent retry with the same key won:
            // the transaction wrote nothing, completion included.
            db.ChangeTracker.Clear();
            return Chained.NotLanded;
        }
        catch (Exception exception) when (FaultPolicy.Classify(db, exception) != FaultKind.None)
        {
            db.ChangeTracker.Clear();
            fault = exception;
        }

        return await CompletionLandedAsync(lease, fault, cancellationToken).ConfigureAwait(false) ? Chained.Landed : Chained.NotLanded;
    }

    /// <summary>
    /// Whether the completion of <paramref name="lease"/> landed after <paramref name="fault"/> (its assignment completed,
    /// waiting for a commit still in flight), asked again with the retry policy's backoff while the fault lasts.
    /// </summary>
    /// <exception cref="AgentOrchestrationTransientException">The fault outlasted the retries: whether it landed is unknown.</exception>
    private async Task<bool> CompletionLandedAsync(WorkLease lease, Exception fault, CancellationToken cancellationToken)
    {
        const string name = nameof(IWorkClaimer) + "." + nameof(CompleteAndClaimNextAsync);
        for (var faulted = 1; ; faulted++)
        {
            try
            {
                return await AssignmentEndedAsync(lease, status => status == AssignmentStatus.Completed, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (FaultPolicy.Classify(db, exception) is var kind && kind != FaultKind.None)
            {
                db.ChangeTracker.Clear();
                if (kind != FaultKind.Transient || faulted >= faults.Options.MaxAttempts)
                {
                    throw faults.GiveUp(name, faulted, mayHaveCommitted: true, exception);
                }

                await faults.BackoffAsync(name, faulted, fault, cancellationToken).ConfigureAwait(false);
                fault = exception;
            }
        }
    }

    /// <summary>What the one-trip completion and claim did: wrote both (<see cref="Rows"/>), nothing, or, after a fault, whether its transaction landed.</summary>
    private sealed record Chained(ChainState State, IReadOnlyList<ClaimRow>? Rows = null)
    {
        public static readonly Chained Declined = new(ChainState.Declined);
        public static readonly Chained Refused = new(ChainState.Refused);
        public static readonly Chained Landed = new(ChainState.Landed);
        public static readonly Chained NotLanded = new(ChainState.NotLanded);
    }

    private enum ChainState
    {
        /// <summary>Not sent (no one-trip path here, or another such call in flight): each part goes as its own call.</summary>
        Declined,

        /// <summary>Sent; the completion did not pass its checks, so nothing was written.</summary>
        Refused,

        /// <summary>Both written.</summary>
        Done,

        /// <summary>A fault, after which the completion (and the claim with it) was found committed.</summary>
        Landed,

        /// <summary>A fault, or a unique violation, after which nothing was found committed.</summary>
        NotLanded,
    }

    /// <summary>
    /// The provider's one-round-trip completion, only outside a caller's transaction (inside one, writes join it under a
    /// savepoint). <see langword="false"/> when it wrote nothing: the general path then decides and refuses precisely.
    /// </summary>
    private async Task<bool> TryFastCompleteAsync(List<WorkLease> leases, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is not null || !OrchestrationProviders.For(db).HasOneStatementLeases)
        {
            return false;
        }

        // One work_item.completed event per lease, all or none.
        return await writes.RunStatementAsync(
            "work_item.complete",
            ct => OrchestrationProviders.For(db).TryCompleteClaimsAsync(db, new CompletionRequest(leases, clock.DecidingClock(db), qaPolicy), ct),
            completed => completed ? leases.Count : 0,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The provider's one-round-trip renewal, as <see cref="TryFastCompleteAsync"/>; <see langword="null"/> when it wrote nothing.</summary>
    private async Task<ClaimedWork?> TryFastRenewAsync(WorkLease lease, TimeSpan duration, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is not null || !OrchestrationProviders.For(db).HasOneStatementLeases)
        {
            return null;
        }

        // One work_item.lease_renewed event when it renewed.
        return await writes.RunStatementAsync(
            "work_item.renew_lease",
            ct => OrchestrationProviders.For(db).TryRenewAsync(db, lease, duration, clock.DecidingClock(db), ct),
            renewed => renewed is null ? 0 : 1,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether the lease's assignment reached a status <paramref name="landed"/> accepts, read under the item's write lock,
    /// so a commit of the same change still in flight (its connection broke, its server has not finished) is waited for.
    /// </summary>
    private async Task<bool> AssignmentEndedAsync(WorkLease lease, Func<AssignmentStatus, bool> landed, CancellationToken cancellationToken)
    {
        await using var transaction = await OrchestrationProviders.For(db).BeginWorkItemTransactionAsync(db, lease.WorkItemId, cancellationToken).ConfigureAwait(false);
        var status = await db.Set<TaskAssignment>().AsNoTracking().Where(a => a.Id == lease.AssignmentId && a.WorkItemId == lease.WorkItemId)
            .Select(a => (AssignmentStatus?)a.Status).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        return status is { } s && landed(s);
    }

    private static DelegationOptions Fenced(WorkLease lease, string? note) => new() { FencingToken = lease.FencingToken, LeaseAssignmentId = lease.AssignmentId, Note = note };

    private Task<IReadOnlyList<ClaimedWork>> ClaimAsync(Guid agentId, Guid projectId, int maxItems, ClaimOptions? options, CancellationToken cancellationToken)
    {
        ClaimValidation.Claim(agentId, projectId, maxItems, options);
        var claim = Prepare(agentId, projectId, maxItems, options);
        return ClaimAsync(claim, replay: !claim.OwnKey, cancellationToken);
    }

    /// <summary>A validated claim's request with its idempotency key (the caller's, or one of its own) and assignment ids.</summary>
    private PreparedClaim Prepare(Guid agentId, Guid projectId, int maxItems, ClaimOptions? options)
    {
        options ??= Defaults;
        var duration = options.LeaseDuration;

        // Without the caller's key the claim gets one of its own, so a retry after a commit whose outcome is unknown finds
        // what that commit took instead of claiming again.
        var ownKey = options.IdempotencyKey is null;
        var key = options.IdempotencyKey ?? $"{GeneratedKeyPrefix}{UuidV7.NewGuid():N}";
        var bound = new ClaimIdempotency.Request(projectId, maxItems, duration, options.SessionId);
        var ids = new Guid[maxItems];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = UuidV7.NewGuid();
        }

        var request = new ClaimRequest(agentId, projectId, clock.DecidingClock(db), duration, options.Actor ?? agentId.ToString(), ids, key, options.SessionId, bound.Format());
        return new PreparedClaim(request, bound, options, ownKey);
    }

    /// <param name="claim">The claim.</param>
    /// <param name="replay">Whether an earlier claim with the key may exist (the caller's key, or a retry): it is looked up first.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    private async Task<IReadOnlyList<ClaimedWork>> ClaimAsync(PreparedClaim claim, bool replay, CancellationToken cancellationToken)
    {
        var request = claim.Request;
        var (agentId, maxItems, key) = (request.AgentId, request.AssignmentIds.Count, request.IdempotencyKey!);
        Tracking.Reset(db);
        var provider = OrchestrationProviders.For(db);
        var inCallersTransaction = db.Database.CurrentTransaction is not null;
        IReadOnlyList<ClaimRow> rows;
        for (int attempt = 1, faulted = 1; ; attempt++)
        {
            try
            {
                if (replay && await ReplayAsync(agentId, key, claim.Bound, cancellationToken).ConfigureAwait(false) is { } replayed)
                {
                    return replayed;
                }

                rows = await provider.ClaimAsync(db, request, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (Exception exception) when (provider.IsUniqueViolation(exception) && attempt < MaxClaimAttempts)
            {
                // Either a concurrent retry with the same key won (its claim is the answer), or a concurrent change of
                // an item made this claim compute a fencing token that is taken; the statement wrote nothing.
                db.ChangeTracker.Clear();
                replay = true;
            }
            catch (Exception exception) when (FaultPolicy.Classify(db, exception) is var kind && kind != FaultKind.None)
            {
                // Retried here rather than by the service boundary, so the retry keeps the key: it tells whether the claim
                // committed before the connection broke, and the retry replays it first.
                db.ChangeTracker.Clear();
                var name = maxItems == 1 ? nameof(IWorkClaimer) + "." + nameof(ClaimNextAsync) : nameof(IWorkClaimer) + "." + nameof(ClaimBatchAsync);
                if (inCallersTransaction || kind != FaultKind.Transient || faulted >= faults.Options.MaxAttempts)
                {
                    throw faults.GiveUp(name, faulted, !inCallersTransaction && FaultAttempt.Current is not { CommitStarted: false }, exception);
                }

                await faults.BackoffAsync(name, faulted++, exception, cancellationToken).ConfigureAwait(false);
                replay = true;
            }
        }

        return await ClaimedAsync(claim, rows, replay, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What a claim's committed statement took, as the caller gets it; an empty claim tells "nothing ready" from a refusal.</summary>
    private async Task<IReadOnlyList<ClaimedWork>> ClaimedAsync(PreparedClaim claim, IReadOnlyList<ClaimRow> rows, bool replay, CancellationToken cancellationToken)
    {
        var request = claim.Request;

        // The claim's statement committed one work_item.claimed event per item.
        writes.EventsCommitted(rows.Count);
        if (rows.Count == 0)
        {
            // A claim with this key committed while this one waited for the agent's lock: the claim took nothing, and
            // the earlier claim is the answer (or the refusal, if it was a different request).
            if (replay && await ReplayAsync(request.AgentId, request.IdempotencyKey!, claim.Bound, cancellationToken).ConfigureAwait(false) is { } earlier)
            {
                return earlier;
            }

            // Only an empty claim pays for telling "nothing ready" from a caller error.
            await EnsureClaimableAsync(request.AgentId, request.ProjectId, claim.Options.SessionId, cancellationToken).ConfigureAwait(false);
        }

        // What the claim's own statement wrote is now stale in any tracked copy.
        db.ChangeTracker.Clear();
        var claimed = new ClaimedWork[rows.Count];
        for (var i = 0; i < claimed.Length; i++)
        {
            var r = rows[i];
            claimed[i] = new ClaimedWork(new WorkLease(r.WorkItemId, r.AssignmentId, r.FencingToken), request.ProjectId, r.Title, r.Priority, r.LeaseExpiresAt);
        }

        return claimed;
    }

    /// <summary>A claim ready to send: its request (with the key it stores), what the key binds, the options it came with, and whether the key is the claimer's own.</summary>
    private sealed record PreparedClaim(ClaimRequest Request, ClaimIdempotency.Request Bound, ClaimOptions Options, bool OwnKey);

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

    private Task<ClaimedWork> WithLeaseAsync(WorkLease lease, Action<WorkItem, TaskAssignment, DateTimeOffset> change, CancellationToken cancellationToken) =>
        writes.RunAsync("work_item.renew_lease", LockScope.WorkItem(lease.WorkItemId), async ct =>
        {
            var now = await clock.DecideAsync(db, ct).ConfigureAwait(false);
            var item = await db.Set<WorkItem>().Include(w => w.CurrentAssignment).SingleOrDefaultAsync(w => w.Id == lease.WorkItemId, ct).ConfigureAwait(false)
                ?? throw new LeaseLostException(lease.WorkItemId, lease.FencingToken, "no such work item");
            LeaseCheck.Ensure(item, lease.AssignmentId, lease.FencingToken, now);
            var assignment = item.CurrentAssignment!;
            change(item, assignment, now);
            return new ClaimedWork(lease, item.ProjectId, item.Title, item.Priority, assignment.LeaseExpiresAt ?? now);
        }, cancellationToken);
}
