using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Storage;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Sessions;

/// <summary>What a session holds (its claimed work and its file locks) and how it lets go of them; shared by the service and the reaper.</summary>
internal static class SessionWork
{
    public const string SessionEntity = "session";

    private static readonly AssignmentStatus[] ActiveAssignments = [AssignmentStatus.Assigned, AssignmentStatus.Started, AssignmentStatus.Paused];

    public static bool IsLive(SessionStatus status) => status is SessionStatus.Active or SessionStatus.Paused;

    /// <summary>
    /// Loads the session tracked, in a write holding its lock (<see cref="LockScope.Session"/>, which locks its row too),
    /// so what follows reads the newest committed state; <see langword="null"/> when there is none.
    /// </summary>
    public static Task<AgentSession?> FindLockedAsync(DbContext db, string sessionId, CancellationToken cancellationToken) =>
        db.Set<AgentSession>().SingleOrDefaultAsync(s => s.SessionId == sessionId, cancellationToken);

    /// <summary>
    /// The work items (with their current assignment) the session owns: the current, active, leased (claimed) assignment
    /// held by the session's agent in the session's project, on an item that names the session in
    /// <c>assigned_agent_session</c>, or on any item of that agent when the agent has no other live session in the
    /// project. See <see cref="ISessionService"/>.
    /// </summary>
    public static async Task<List<(Guid WorkItemId, Guid AssignmentId)>> OwnedAsync(DbContext db, AgentSession session, CancellationToken cancellationToken)
    {
        if (session.AgentId is not { } agentId)
        {
            return [];
        }

        // Two sessions of one agent reaped or ended at once would each see the other as live and requeue nothing:
        // the agent's row lock (a no-op update) orders them, and the queries below then see the other's outcome.
        await RowLocks.AgentAsync(db, agentId, cancellationToken).ConfigureAwait(false);

        var held = await db.Set<WorkItem>().AsNoTracking()
            .Where(w => w.ProjectId == session.ProjectId && w.CurrentAssignmentId != null
                && w.CurrentAssignment!.AgentId == agentId && ActiveAssignments.Contains(w.CurrentAssignment.Status)
                && w.CurrentAssignment.LeaseExpiresAt != null)
            .Select(w => new { w.Id, AssignmentId = w.CurrentAssignmentId!.Value, w.AssignedAgentSession })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        if (held.Count == 0)
        {
            return [];
        }

        var sessionId = session.SessionId;
        var agentHasOtherLiveSession = await db.Set<AgentSession>().AnyAsync(
            s => s.ProjectId == session.ProjectId && s.AgentId == agentId && s.SessionId != sessionId
                && (s.Status == SessionStatus.Active || s.Status == SessionStatus.Paused),
            cancellationToken).ConfigureAwait(false);
        return held.Where(h => h.AssignedAgentSession == sessionId || !agentHasOtherLiveSession)
            .Select(h => (h.Id, h.AssignmentId)).OrderBy(h => h.Id).ToList();
    }

    /// <summary>
    /// Returns the session's work to the queue: each owned assignment is cancelled, its item unassigned (status todo, no
    /// assignee, no current assignment) and so claimable at once, with a history entry and a <c>work_item.requeued</c> event.
    /// Time worked on a started (or just claimed) assignment, up to <paramref name="workedUntil"/>, is added to
    /// <c>actual_hours</c> as a cancel through delegation does. Items are row-locked first, in id order, so a concurrent holder write or claim of
    /// the same item waits or skips it.
    /// </summary>
    public static async Task<List<Guid>> RequeueAsync(
        DbContext db, AgentSession session, DateTimeOffset now, DateTimeOffset workedUntil, string actor, string note, CancellationToken cancellationToken)
    {
        var owned = await OwnedAsync(db, session, cancellationToken).ConfigureAwait(false);
        var requeued = new List<Guid>(owned.Count);
        foreach (var (workItemId, assignmentId) in owned)
        {
            await RowLocks.WorkItemAsync(db, workItemId, cancellationToken).ConfigureAwait(false);
            var item = await db.Set<WorkItem>().Include(w => w.CurrentAssignment)
                .SingleAsync(w => w.Id == workItemId, cancellationToken).ConfigureAwait(false);
            if (item.CurrentAssignment is not { IsActive: true } assignment || assignment.Id != assignmentId || assignment.AgentId != session.AgentId)
            {
                // Completed, released or claimed again between the read and the lock: no longer this session's.
                continue;
            }

            var from = item.DelegationStatus;
            // As delegation's cancel counts it: a started assignment, or one just claimed (a claim starts the clock).
            if ((assignment.Status == AssignmentStatus.Started || History.LastDelegationEntry(item)?.Action == "claim")
                && item.DelegationHistory?.LastOrDefault(h => h.Action is "claim" or "start" or "resume" or "unblock")?.At is { } since
                && workedUntil > since)
            {
                item.ActualHours = Math.Round((item.ActualHours ?? 0m) + (decimal)(workedUntil - since).TotalHours, 2);
            }

            assignment.Status = AssignmentStatus.Cancelled;
            assignment.CompletedAt = now;
            assignment.LeaseExpiresAt = null;
            assignment.Notes = note;
            assignment.UpdatedAt = now;
            item.DelegationStatus = DelegationStatus.Unassigned;
            item.Status = WorkItemStatus.Todo;
            item.AssigneeType = null;
            item.AssigneeId = null;
            item.AssignedAgentId = null;
            item.CurrentAssignment = null;
            item.CurrentAssignmentId = null;
            if (item.AssignedAgentSession == session.SessionId)
            {
                item.AssignedAgentSession = null;
            }

            item.UpdatedAt = now;
            History.Append(item, now, "requeue", from, DelegationStatus.Unassigned, assignment.Id, actor, note);
            Events.Append(db, now, "work_item.requeued", item.ProjectId, "work_item", item.Id, actor, new EventPayload
            {
                From = StoredEnum.ToStore(from),
                To = StoredEnum.ToStore(DelegationStatus.Unassigned),
                AgentId = assignment.AgentId,
                SessionId = session.SessionId,
                WorkItemId = item.Id,
                Reason = note,
            });
            requeued.Add(item.Id);
        }

        return requeued;
    }

    /// <summary>
    /// Releases every file lock the session holds through the file lock service, joining the caller's transaction (the
    /// session row is already locked): live locks are deleted with a <c>file_lock.released</c> event each, expired ones
    /// with <c>file_lock.expired</c>, and <c>agent_sessions.file_locks</c> becomes empty. Returns how many live locks it released.
    /// </summary>
    public static async Task<int> ReleaseLocksAsync(IFileLockService fileLocks, AgentSession session, CancellationToken cancellationToken)
    {
        var released = await fileLocks.ReleaseAllAsync(session.SessionId, cancellationToken).ConfigureAwait(false);

        // Mirror what the service wrote with a set-based update, so the returned session shows it too.
        session.FileLocks = [];
        return released.Count;
    }
}
