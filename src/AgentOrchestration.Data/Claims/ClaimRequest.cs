using AgentOrchestration.Data.Storage;

namespace AgentOrchestration.Data.Claims;

/// <summary>One claim, as the provider strategies execute it.</summary>
/// <param name="AgentId">The claiming agent.</param>
/// <param name="ProjectId">The project to claim in.</param>
/// <param name="Clock">The clock the claim decides by, read once the claim holds its locks; <see langword="null"/> when the database server's clock decides (see <see cref="OrchestrationClock"/>).</param>
/// <param name="LeaseDuration">How long the new leases last from the claim time.</param>
/// <param name="Actor">Who claims, for the history and events.</param>
/// <param name="AssignmentIds">Pre-generated ids for the new assignments; their count is the most items to claim.</param>
/// <param name="IdempotencyKey">The caller's key, stored on the assignments (a batch suffixes <c>#n</c>).</param>
/// <param name="SessionId">The implementing session recorded on the claimed items; a claim through a session that is not active, of another project or of another agent claims nothing.</param>
/// <param name="IdempotencyRequest">With a key: the request it binds (<see cref="ClaimIdempotency.Request.Format"/>), stored on the assignments. A key the agent already used claims nothing (the claimer then replays or refuses).</param>
internal sealed record ClaimRequest(
    Guid AgentId, Guid ProjectId, TimeProvider? Clock, TimeSpan LeaseDuration, string Actor, IReadOnlyList<Guid> AssignmentIds, string? IdempotencyKey = null, string? SessionId = null,
    string? IdempotencyRequest = null)
{
    /// <summary>The key stored on the <paramref name="index"/>-th assignment of this claim.</summary>
    public string? KeyFor(int index) => IdempotencyKey is null ? null : AssignmentIds.Count == 1 ? IdempotencyKey : $"{IdempotencyKey}#{index}";
}

/// <summary>One claimed item, as the provider strategies return it.</summary>
internal sealed record ClaimRow(Guid WorkItemId, Guid AssignmentId, long FencingToken, string Title, int Priority, DateTimeOffset LeaseExpiresAt);
