using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;

namespace AgentOrchestration.Data.Claims;

/// <summary>
/// The one check every write that presents a lease passes (renew, release, complete, and delegation changes fenced by a
/// token), made under the work item's lock with the item's current assignment loaded.
/// </summary>
internal static class LeaseCheck
{
    /// <summary>Refuses the write with <see cref="LeaseLostException"/> unless the lease is still held.</summary>
    /// <param name="item">The locked work item, with <see cref="WorkItem.CurrentAssignment"/> loaded.</param>
    /// <param name="assignmentId">The lease's assignment; <see langword="null"/> when only a fencing token was presented (<see cref="Delegation.DelegationOptions.FencingToken"/>).</param>
    /// <param name="fencingToken">The lease's fencing token.</param>
    /// <param name="now">The time the lease is judged at, from the clock that decides expiries.</param>
    public static void Ensure(WorkItem item, Guid? assignmentId, long fencingToken, DateTimeOffset now)
    {
        // Every part of the lease is compared: fencing tokens count per item from 1, so a token alone (or a token with
        // another item's id) would match some other holder's claim.
        var current = item.CurrentAssignment;
        var refusal = current is null ? "the work item has no current assignment"
            : current.FencingToken != fencingToken ? $"the current fencing token is {current.FencingToken}"
            : assignmentId is { } id && current.Id != id ? $"the lease's assignment '{id}' is not the work item's current assignment"
            : item.AssigneeType != AssigneeType.Agent || item.AssignedAgentId != current.AgentId ? "the work item is no longer held by the assignment's agent"
            : !current.IsActive ? $"the assignment is {StoredEnum.ToStore(current.Status)}"
            : current.LeaseExpiresAt is { } expires && expires <= now ? $"the lease expired at {expires:O}"
            : null;
        if (refusal is not null)
        {
            throw new LeaseLostException(item.Id, fencingToken, refusal);
        }
    }
}
