using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Modeling;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Claims;

/// <summary>What a claim writes, for strategies that write through EF Core (the PostgreSQL statement writes the same in SQL).</summary>
internal static class Claiming
{
    public static void Apply(DbContext db, WorkItem item, TaskAssignment assignment, ClaimRequest request, DateTimeOffset now)
    {
        var from = item.DelegationStatus;
        if (item.CurrentAssignment is { } expired)
        {
            // A lease that ran out: the old holder's later writes will fail their fencing check.
            expired.Status = AssignmentStatus.Cancelled;
            expired.CompletedAt = now;
            expired.Notes = "lease expired";
            expired.LeaseExpiresAt = null;
            expired.UpdatedAt = now;
        }

        item.DelegationStatus = DelegationStatus.Assigned;
        item.Status = WorkItemStatus.Todo;
        item.AssigneeType = AssigneeType.Agent;
        item.AssigneeId = assignment.AgentId;
        item.AssignedAgentId = assignment.AgentId;
        item.CurrentAssignmentId = assignment.Id;
        item.CurrentAssignment = assignment;
        item.AssignedAgentSession = request.SessionId;
        item.UpdatedAt = now;
        History.Append(item, now, "claim", from, DelegationStatus.Assigned, assignment.Id, request.Actor);
        Events.Append(db, now, "work_item.claimed", item.ProjectId, "work_item", item.Id, request.Actor,
            new EventPayload { From = StoredEnum.ToStore(from), To = "assigned", AgentId = assignment.AgentId, SessionId = request.SessionId, WorkItemId = item.Id });
    }
}
