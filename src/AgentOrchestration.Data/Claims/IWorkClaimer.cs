namespace AgentOrchestration.Data.Claims;

/// <summary>
/// Claims ready work for agents atomically, with leases and fencing tokens: two callers never win the same item, a
/// lease expires unless renewed, and the writes of a holder whose lease passed on are refused. Expiries are judged by
/// the database server's clock on PostgreSQL and this machine's on SQLite, unless <see cref="AgentOrchestrationBuilder.UseClock"/>
/// set one clock; a renewal that returned keeps its item against any claim until its new expiry.
/// </summary>
/// <remarks>
/// Agents belong to no project: one agent may claim in any project, and isolation is by session and lease. A claim
/// through <see cref="ClaimOptions.SessionId"/> must be in that session's project (otherwise
/// <see cref="ProjectIsolationException"/>), but a claim without a session may be in any project, even while the agent
/// has a live session in another. Pass the session whenever the agent works through one.
/// </remarks>
public interface IWorkClaimer
{
    /// <summary>
    /// Claims the highest-priority ready work item of <paramref name="projectId"/> for an agent: a task or bug that is
    /// <c>todo</c>, unassigned (or whose lease expired), whose dependencies are all done and whose required capabilities
    /// the agent has, while the agent is under its concurrency limit.
    /// </summary>
    /// <param name="agentId">The claiming agent; it must be active.</param>
    /// <param name="projectId">The project to claim in.</param>
    /// <param name="options">The lease duration and actor; <see langword="null"/> uses the defaults.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The claimed work, or <see langword="null"/> when nothing is ready for the agent.</returns>
    /// <exception cref="EntityNotFoundException">The agent or project does not exist.</exception>
    /// <exception cref="InvalidStateTransitionException">The agent is not active.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The lease duration is not positive or exceeds <see cref="ClaimOptions.MaxLeaseDuration"/>.</exception>
    /// <exception cref="SessionNotActiveException"><see cref="ClaimOptions.SessionId"/> names a session that is not active (a missing one throws <see cref="EntityNotFoundException"/>).</exception>
    /// <exception cref="ProjectIsolationException"><see cref="ClaimOptions.SessionId"/> names a session of another project.</exception>
    /// <exception cref="ArgumentException"><see cref="ClaimOptions.SessionId"/> names a session of another agent, or a key that cannot be stored.</exception>
    /// <exception cref="IdempotencyKeyReusedException"><see cref="ClaimOptions.IdempotencyKey"/> was used by the agent for a different request.</exception>
    /// <exception cref="UnsupportedIsolationLevelException">PostgreSQL: called inside a caller's transaction that is not READ COMMITTED.</exception>
    Task<ClaimedWork?> ClaimNextAsync(Guid agentId, Guid projectId, ClaimOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Claims up to <paramref name="maxItems"/> ready work items at once, as <see cref="ClaimNextAsync"/> does for one; they come back in claim order (priority, then creation time).</summary>
    /// <param name="agentId">The claiming agent; it must be active.</param>
    /// <param name="projectId">The project to claim in.</param>
    /// <param name="maxItems">The most items to claim, from 1 to 1000; the agent's free capacity may limit it further.</param>
    /// <param name="options">The lease duration and actor; <see langword="null"/> uses the defaults.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The claimed work, possibly empty.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxItems"/> is outside 1 to 1000.</exception>
    /// <exception cref="IdempotencyKeyReusedException"><see cref="ClaimOptions.IdempotencyKey"/> was used by the agent for a different request (such as another <paramref name="maxItems"/>).</exception>
    Task<IReadOnlyList<ClaimedWork>> ClaimBatchAsync(Guid agentId, Guid projectId, int maxItems, ClaimOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Extends a lease (the heartbeat of a claim).</summary>
    /// <param name="lease">The lease from the claim.</param>
    /// <param name="leaseDuration">The new duration from now; <see langword="null"/> uses the default of <see cref="ClaimOptions"/>.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The work with its new expiry.</returns>
    /// <exception cref="LeaseLostException">The lease expired or passed to someone else, or is not wholly the item's current lease (its assignment, fencing token, holder), so nothing was changed.</exception>
    Task<ClaimedWork> RenewAsync(WorkLease lease, TimeSpan? leaseDuration = null, CancellationToken cancellationToken = default);

    /// <summary>Gives the work item back to the queue (the assignment is cancelled).</summary>
    /// <param name="lease">The lease from the claim.</param>
    /// <param name="reason">Why, recorded in the history.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A task that completes when the item is back in the queue.</returns>
    /// <exception cref="LeaseLostException">The lease expired or passed to someone else, or is not wholly the item's current lease (its assignment, fencing token, holder), so nothing was changed.</exception>
    Task ReleaseAsync(WorkLease lease, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>Completes the claimed work: the assignment and the delegation complete and the item is done.</summary>
    /// <param name="lease">The lease from the claim.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A task that completes when the item is done.</returns>
    /// <exception cref="LeaseLostException">The lease expired or passed to someone else, or is not wholly the item's current lease (its assignment, fencing token, holder), so nothing was changed.</exception>
    /// <exception cref="QaGateException">A QA type the implementing session's oversight level requires lacks a passing latest result (see <see cref="Qa.IQaService"/>).</exception>
    Task CompleteAsync(WorkLease lease, CancellationToken cancellationToken = default);

    /// <summary>
    /// Completes the claimed work as <see cref="CompleteAsync"/> does, then claims the agent's next ready item of
    /// <paramref name="projectId"/> as <see cref="ClaimNextAsync"/> does: the loop of an agent that works one item at a
    /// time, in one call. On PostgreSQL both go in one round trip and one transaction (unless another such call of this
    /// process is in flight on the database; then each part goes as its own call would); the claim sees the completion,
    /// so an item that waited only for the completed one is ready, and the completed assignment no longer counts against
    /// the agent's concurrency limit.
    /// </summary>
    /// <param name="lease">The lease of the work to complete.</param>
    /// <param name="agentId">The agent that claims next (normally the lease's holder); it must be active.</param>
    /// <param name="projectId">The project to claim in.</param>
    /// <param name="options">The next lease's duration, actor, session and idempotency key; <see langword="null"/> uses the defaults.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The next claimed work, or <see langword="null"/> when nothing is ready for the agent; the completion stands either way.</returns>
    /// <exception cref="ArgumentException">The lease or a claim argument is malformed (as for <see cref="CompleteAsync"/> and <see cref="ClaimNextAsync"/>): nothing was changed; or <see cref="ClaimOptions.SessionId"/> names a session of another agent: the completion stands, nothing was claimed.</exception>
    /// <exception cref="LeaseLostException">The lease is no longer held (see <see cref="CompleteAsync"/>); nothing was changed and nothing claimed.</exception>
    /// <exception cref="QaGateException">The item does not pass the QA gate (see <see cref="CompleteAsync"/>); nothing was changed and nothing claimed.</exception>
    /// <exception cref="EntityNotFoundException">The agent or project does not exist; the completion stands, nothing was claimed.</exception>
    /// <exception cref="InvalidStateTransitionException">The agent is not active; the completion stands, nothing was claimed.</exception>
    /// <exception cref="SessionNotActiveException"><see cref="ClaimOptions.SessionId"/> names a session that is not active; the completion stands, nothing was claimed.</exception>
    /// <exception cref="ProjectIsolationException"><see cref="ClaimOptions.SessionId"/> names a session of another project; the completion stands, nothing was claimed.</exception>
    /// <exception cref="IdempotencyKeyReusedException"><see cref="ClaimOptions.IdempotencyKey"/> was used by the agent for a different request; the completion stands, nothing was claimed.</exception>
    Task<ClaimedWork?> CompleteAndClaimNextAsync(WorkLease lease, Guid agentId, Guid projectId, ClaimOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Completes many claimed items at once, all or none: each as <see cref="CompleteAsync"/> does, in one transaction (on
    /// PostgreSQL one round trip when every lease is held and passes the QA gate).
    /// </summary>
    /// <param name="leases">The leases from the claims, each of a different work item; empty completes nothing.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A task that completes when every item is done.</returns>
    /// <exception cref="ArgumentException"><paramref name="leases"/> contains <see langword="null"/>, two leases of one work item, or a lease no claim returns (an empty id; a fencing token below 1, as <see cref="ArgumentOutOfRangeException"/> naming <c>leases[i].FencingToken</c>); nothing was changed.</exception>
    /// <exception cref="LeaseLostException">One of the leases is no longer held (see <see cref="CompleteAsync"/>); nothing was changed.</exception>
    /// <exception cref="QaGateException">One of the items does not pass the QA gate; nothing was changed.</exception>
    Task CompleteBatchAsync(IReadOnlyCollection<WorkLease> leases, CancellationToken cancellationToken = default);
}
