using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Storage;
using AgentOrchestration.Data.Sessions;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Sqlite.Claims;

/// <summary>
/// The SQLite claim: inside <c>BEGIN IMMEDIATE</c> no other writer runs, so "read the best candidates, then write
/// them" cannot be raced; the conditions are still re-stated on the write path so a logic slip cannot double-assign.
/// </summary>
internal static class SqliteClaimStrategy
{
    public static async Task<IReadOnlyList<ClaimRow>> ClaimAsync(DbContext db, IOrchestrationProvider provider, ClaimRequest request, CancellationToken cancellationToken)
    {
        Tracking.Reset(db);
        await using var transaction = await provider.BeginSerializedAsync(db, LockScope.Claims.Name, cancellationToken).ConfigureAwait(false);
        // Read once the write lock is held: every expiry this claim judges or stores is by this one reading.
        var now = (request.Clock ?? throw new InvalidOperationException("A SQLite claim decides by the calling machine's clock.")).GetUtcNow();
        var claimant = await FindClaimantAsync(db, request, now, cancellationToken).ConfigureAwait(false);
        if (claimant is null)
        {
            return [];
        }

        var candidates = await ReadyWorkRule.Claimable(db.Set<WorkItem>().Include(w => w.CurrentAssignment), request.ProjectId, claimant.Capabilities, now)
            .InClaimOrder()
            .Take(claimant.Take)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        if (candidates.Count == 0)
        {
            return [];
        }

        var rows = await AssignAsync(db, request, claimant.AgentId, candidates, now, cancellationToken).ConfigureAwait(false);
        claimant.Session?.TaskId = candidates[0].Id;
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return rows;
    }

    /// <summary>
    /// The agent as this claim finds it under the write lock, or <see langword="null"/> when it claims nothing: inactive,
    /// its idempotency key already bound, its session unfit, or at its concurrency limit.
    /// </summary>
    private static async Task<Claimant?> FindClaimantAsync(DbContext db, ClaimRequest request, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var agent = await db.Set<AgentProfile>().AsNoTracking()
            .Where(a => a.Id == request.AgentId && a.Status == AgentStatus.Active)
            .Select(a => new { a.Id, a.MaxConcurrentTasks, Capabilities = a.CapabilityRecords.Select(c => c.Capability).ToList() })
            .SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        if (agent is null)
        {
            return null;
        }

        if (request.IdempotencyKey is { } key && (await ClaimIdempotency.FindAsync(db, agent.Id, key, cancellationToken).ConfigureAwait(false)).Count > 0)
        {
            // The key was bound while this claim waited for the write lock: the claimer replays (or refuses) it.
            return null;
        }

        AgentSession? session = null;
        if (request.SessionId is { } sessionId)
        {
            // Only a live session of this agent (or of no agent) in this project implements what it claims; the claimer
            // tells the caller why when the claim comes back empty.
            session = await db.Set<AgentSession>().Where(s => s.SessionId == sessionId).Where(ImplementingSession.MayImplement(request.ProjectId, agent.Id))
                .SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
            if (session is null)
            {
                return null;
            }
        }

        var held = await db.Set<TaskAssignment>().CountAsync(
            t => t.AgentId == agent.Id && ReadyWorkRule.ActiveAssignments.Contains(t.Status) && (t.LeaseExpiresAt == null || t.LeaseExpiresAt > now), cancellationToken).ConfigureAwait(false);
        var take = Math.Min(request.AssignmentIds.Count, agent.MaxConcurrentTasks - held);
        return take <= 0 ? null : new Claimant(agent.Id, agent.Capabilities, session, take);
    }

    /// <summary>Adds an assignment for each candidate, in claim order, each with the next fencing token of its item.</summary>
    private static async Task<List<ClaimRow>> AssignAsync(DbContext db, ClaimRequest request, Guid agentId, List<WorkItem> candidates, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var expires = now + request.LeaseDuration;
        var candidateIds = candidates.Select(c => c.Id).ToList();
        var tokens = await db.Set<TaskAssignment>().Where(t => candidateIds.Contains(t.WorkItemId))
            .GroupBy(t => t.WorkItemId).Select(g => new { g.Key, Max = g.Max(t => t.FencingToken) })
            .ToDictionaryAsync(g => g.Key, g => g.Max, cancellationToken).ConfigureAwait(false);

        var rows = new List<ClaimRow>(candidates.Count);
        for (var i = 0; i < candidates.Count; i++)
        {
            var item = candidates[i];
            var token = tokens.GetValueOrDefault(item.Id) + 1;
            var assignment = new TaskAssignment
            {
                Id = request.AssignmentIds[i],
                WorkItemId = item.Id,
                AgentId = agentId,
                AssignedAt = now,
                Status = AssignmentStatus.Assigned,
                LeaseExpiresAt = expires,
                FencingToken = token,
                IdempotencyKey = request.KeyFor(i),
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Add(assignment).Property(ClaimIdempotency.RequestProperty).CurrentValue = request.IdempotencyRequest;
            Claiming.Apply(db, item, assignment, request, now);
            rows.Add(new ClaimRow(item.Id, assignment.Id, token, item.Title, item.Priority, expires));
        }

        return rows;
    }

    /// <summary>The claiming agent, the session that implements what it claims (if any), and how many items it may take.</summary>
    private sealed record Claimant(Guid AgentId, List<string> Capabilities, AgentSession? Session, int Take);
}
