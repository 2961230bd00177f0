using AgentOrchestration.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Storage;

/// <summary>
/// The levels of the library's locks, in the one order every write takes them: a transaction that holds a lock of one
/// level only ever waits for locks of a later level.
/// </summary>
/// <remarks>
/// <para>
/// Two writers that each hold one lock and wait for the other's deadlock (PostgreSQL aborts one of them, SQLite has a
/// single writer and cannot). Every write therefore takes its locks in this order, and never goes back to an earlier
/// level once it holds a later one:
/// </para>
/// <list type="number">
/// <item><see cref="Scope"/>: a named scope that serializes one kind of write (<see cref="LockScope.Sprints"/>,
/// <see cref="LockScope.FileLocks"/>, ...): coarse, taken first, held by no one who waits for a session.</item>
/// <item><see cref="Session"/>: the session's scope and then its row (<see cref="RowLocks.SessionAsync"/>). Ending,
/// reaping and heartbeating a session lock it before anything it holds, so a delegation change recording a session
/// takes the session first too; the two never wait on each other crosswise.</item>
/// <item><see cref="Agent"/>: the agent's row (<see cref="RowLocks.AgentAsync"/>; the PostgreSQL claim statement
/// locks it too). It orders two sessions of one agent ended or reaped at once, and claims of one agent against its
/// concurrency limit, before either reads the agent's work.</item>
/// <item><see cref="WorkItem"/>: work item rows (<see cref="LockScope.WorkItem"/>, <see cref="RowLocks.WorkItemAsync"/>),
/// several in id order. A claim skips locked items instead of waiting (<c>SKIP LOCKED</c>), so it never waits here.</item>
/// </list>
/// <para>
/// So: scope → session → agent → work item. A file-lock release joined to ending a session takes no
/// <see cref="LockScope.FileLocks"/> scope: after the session's lock it would go back to the first level, the inversion
/// of acquiring (file-lock scope, then the session's row).
/// </para>
/// </remarks>
internal enum LockLevel
{
    /// <summary>A named scope serializing one kind of write.</summary>
    Scope = 0,

    /// <summary>One agent session.</summary>
    Session = 1,

    /// <summary>One agent profile.</summary>
    Agent = 2,

    /// <summary>One work item.</summary>
    WorkItem = 3,
}

/// <summary>
/// A lock a library write transaction begins with (see <see cref="WriteTransactions"/>), and every such lock the library
/// takes, named once. See <see cref="LockLevel"/> for the order they are taken in and why.
/// </summary>
/// <param name="Level">Where the lock sits in the lock order.</param>
/// <param name="Name">The scope's name: the PostgreSQL advisory lock key is derived from it, so it never changes.</param>
/// <param name="WorkItemId">For <see cref="LockLevel.WorkItem"/>: the item whose row is locked.</param>
/// <param name="JoinsCallerUnlocked">
/// Whether, inside a transaction the caller opened, the write joins it without taking this lock: for writes that only
/// insert or save what they already checked (registrations, submissions), where the lock only orders the library's own
/// transactions and the caller's transaction already decides how the write waits.
/// </param>
/// <param name="SessionRowId">
/// For <see cref="LockLevel.Session"/>: the session whose row is locked too, right after its scope
/// (<see cref="RowLocks.SessionAsync"/>), before any later lock.
/// </param>
internal sealed record LockScope(LockLevel Level, string Name, Guid? WorkItemId = null, bool JoinsCallerUnlocked = false, string? SessionRowId = null)
{
    /// <summary>Agent registrations and profile changes (the slug's unique index decides races).</summary>
    public static LockScope Agents { get; } = new(LockLevel.Scope, "agents", JoinsCallerUnlocked: true);

    /// <summary>New projects, new work items outside a sprint, and dependency removals.</summary>
    public static LockScope Work { get; } = new(LockLevel.Scope, "work", JoinsCallerUnlocked: true);

    /// <summary>The SQLite claim: one claimer at a time reads and writes the queue (PostgreSQL claims lock rows instead).</summary>
    public static LockScope Claims { get; } = new(LockLevel.Scope, "claims");

    /// <summary>
    /// A batch completion's general path: one transaction around each lease's own completion (which takes that lease's
    /// locks inside it), so the first refusal rolls every one back.
    /// </summary>
    public static LockScope CompleteBatch { get; } = new(LockLevel.Scope, "complete-batch");

    /// <summary>A backlog submission to a project.</summary>
    public static LockScope BacklogSubmissions(Guid projectId) => new(LockLevel.Scope, $"backlog:{projectId}", JoinsCallerUnlocked: true);

    /// <summary>Every change of one backlog item, which re-reads it under this lock.</summary>
    public static LockScope BacklogItem(Guid backlogItemId) => new(LockLevel.Scope, $"backlog:{backlogItemId}");

    /// <summary>A project's sprints, and work added to one of them: a sprint completing meanwhile is seen, and no work lands in it after.</summary>
    public static LockScope Sprints(Guid projectId) => new(LockLevel.Scope, $"sprints:{projectId}");

    /// <summary>A new sprint of a project.</summary>
    public static LockScope SprintPlanning(Guid projectId) => new(LockLevel.Scope, $"sprints:{projectId}", JoinsCallerUnlocked: true);

    /// <summary>A project's dependency graph: two additions, each acyclic alone, could close a cycle together.</summary>
    public static LockScope Dependencies(Guid projectId) => new(LockLevel.Scope, $"dependencies:{projectId}");

    /// <summary>A project's file locks: conflicts are checked and locks written with no other lock writer of the project in between.</summary>
    public static LockScope FileLocks(Guid projectId) => new(LockLevel.Scope, $"locks:{projectId}");

    /// <summary>A new session: its scope, before its row exists.</summary>
    public static LockScope NewSession(string sessionId) => new(LockLevel.Session, "session:" + sessionId);

    /// <summary>
    /// One session, scope and row: every write of it (heartbeat, pause, end, reap) and every delegation change that
    /// records it. Others that only check it (file locks, claims) lock just its row.
    /// </summary>
    public static LockScope Session(string sessionId) => new(LockLevel.Session, "session:" + sessionId, SessionRowId: sessionId);

    /// <summary>
    /// One work item's row: a holder's write and a concurrent claim of the same item cannot interleave (PostgreSQL
    /// <c>FOR NO KEY UPDATE</c>, which a claim skips; SQLite the database write lock).
    /// </summary>
    public static LockScope WorkItem(Guid workItemId) => new(LockLevel.WorkItem, "work-item", workItemId);

    /// <summary>Refuses locks named out of <see cref="LockLevel"/> order: a programming error, caught by every test that runs the write.</summary>
    /// <exception cref="InvalidOperationException">A lock comes before one of an earlier level.</exception>
    public static void EnsureOrder(string operation, IReadOnlyList<LockScope> scopes)
    {
        for (var i = 1; i < scopes.Count; i++)
        {
            if (scopes[i].Level < scopes[i - 1].Level)
            {
                throw new InvalidOperationException(
                    $"'{operation}' takes the lock '{scopes[i].Name}' ({scopes[i].Level}) after '{scopes[i - 1].Name}' ({scopes[i - 1].Level}): locks are taken in the order {string.Join(" → ", Enum.GetNames<LockLevel>())}.");
            }
        }
    }
}

/// <summary>
/// The row locks taken inside a write's transaction, after its <see cref="LockScope"/>: a no-op update locks the row
/// until the transaction ends (PostgreSQL; SQLite already holds the database write lock), so what follows reads the
/// newest committed state. Taken in <see cref="LockLevel"/> order.
/// </summary>
internal static class RowLocks
{
    /// <summary>Locks the session's row; returns whether it exists.</summary>
    public static async Task<bool> SessionAsync(DbContext db, string sessionId, CancellationToken cancellationToken) =>
        await db.Set<AgentSession>().Where(s => s.SessionId == sessionId)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, s => s.Status), cancellationToken).ConfigureAwait(false) > 0;

    /// <summary>Locks the agent's row.</summary>
    public static Task AgentAsync(DbContext db, Guid agentId, CancellationToken cancellationToken) =>
        db.Set<AgentProfile>().Where(a => a.Id == agentId)
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.Status, a => a.Status), cancellationToken);

    /// <summary>Locks one work item's row (several: call it in id order).</summary>
    public static Task WorkItemAsync(DbContext db, Guid workItemId, CancellationToken cancellationToken) =>
        db.Set<WorkItem>().Where(w => w.Id == workItemId)
            .ExecuteUpdateAsync(u => u.SetProperty(w => w.UpdatedAt, w => w.UpdatedAt), cancellationToken);
}
