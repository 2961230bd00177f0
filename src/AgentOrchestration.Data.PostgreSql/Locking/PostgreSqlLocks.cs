using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.PostgreSql.Storage;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.PostgreSql.Locking;

/// <summary>
/// The two locks a library transaction begins with on PostgreSQL (see <c>LockScope</c> in the core): a
/// transaction-scoped advisory lock on a named scope, or the row lock of one work item. Each statement also reads the
/// server's time once the lock is held (<see cref="ServerClock"/>), so the decision that follows needs no round trip of
/// its own to learn it.
/// </summary>
internal static class PostgreSqlLocks
{
    /// <summary>
    /// Takes the scope's advisory lock, released by the server at commit or rollback, even if this process dies. The
    /// function runs (and waits) in the FROM clause, so the time selected is the server's once the lock is held.
    /// </summary>
    public static async Task AdvisoryAsync(DbContext context, string scope, CancellationToken cancellationToken)
    {
        var sql = $"SELECT {ServerClock.AfterLock} FROM pg_advisory_xact_lock(@p0)";
        var at = await context.Database.SqlQueryRaw<DateTime>(sql, new Npgsql.NpgsqlParameter("p0", AdvisoryKey(scope)))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        ServerClock.Record(context, at[0]);
    }

    /// <summary>Locks one work item's row.</summary>
    /// <remarks>
    /// The same row lock a claim takes: a claim skips the row while the holder writes. After the holder commits, a claim
    /// re-checks only rows it locks itself, which is why a claim of lapsed work locks the current assignment's row too
    /// (a renewal changes that row, not this one).
    /// NO KEY UPDATE, like every row lock of the library: the id never changes, and a plain FOR UPDATE would also
    /// block the foreign-key checks (KEY SHARE) of rows that reference the item, such as a heartbeat updating its
    /// session, which then deadlocks with this holder waiting for that session's lease renewal.
    /// The time is selected above an aggregate over the locked row, so it is read once the lock is held (a time
    /// selected beside the row would be read before a wait for it).
    /// </remarks>
    public static async Task WorkItemAsync(DbContext context, Guid workItemId, CancellationToken cancellationToken)
    {
        var names = new StoreNames(context);
        var sql = $"SELECT {ServerClock.AfterLock} FROM (SELECT count(*) FROM (SELECT 1 FROM {names.Table<WorkItem>()} WHERE {names.Column<WorkItem>(nameof(WorkItem.Id))} = @p0 FOR NO KEY UPDATE) l) c";
        var at = await context.Database.SqlQueryRaw<DateTime>(sql, new Npgsql.NpgsqlParameter("p0", workItemId))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        ServerClock.Record(context, at[0]);
    }

    /// <summary>A stable 64-bit key for a scope name (the same in every process, unlike <see cref="string.GetHashCode()"/>).</summary>
    internal static long AdvisoryKey(string scope) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes("agent-orchestration:" + scope)));
}
