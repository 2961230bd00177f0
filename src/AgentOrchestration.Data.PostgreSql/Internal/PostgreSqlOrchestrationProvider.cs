using System.Buffers.Binary;
using System.Data;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Internal;
using AgentOrchestration.Data.PostgreSql.Claims;
using AgentOrchestration.Data.PostgreSql.EventLog;
using AgentOrchestration.Data.PostgreSql.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

[assembly: OrchestrationProvider(typeof(PostgreSqlOrchestrationProvider))]

namespace AgentOrchestration.Data.PostgreSql.Internal;

/// <summary>PostgreSQL behaviour: advisory locks serialize writers of one scope across processes and machines.</summary>
internal sealed class PostgreSqlOrchestrationProvider : IOrchestrationProvider
{
    public Task<EventCursor?> FindEventCursorAsync(DbContext context, long sequence, CancellationToken cancellationToken) =>
        PostgreSqlEventReader.FindCursorAsync(context, sequence, cancellationToken);

    public Task<EventBatch> ReadEventsAsync(DbContext context, EventCursor after, int take, Guid? projectId, CancellationToken cancellationToken) =>
        PostgreSqlEventReader.ReadAsync(context, after, take, projectId, cancellationToken);

    public Task<IEventWakeup> ListenForEventsAsync(DbContext context, CancellationToken cancellationToken) =>
        PostgreSqlEventListener.StartAsync(context, cancellationToken);

    public bool HasServerClock => true;

    public Task<DateTimeOffset> ServerNowAsync(DbContext context, bool afterLock, CancellationToken cancellationToken) =>
        ServerClock.NowAsync(context, afterLock, cancellationToken);

    public async Task<IDbContextTransaction> BeginSerializedAsync(DbContext context, string scope, CancellationToken cancellationToken)
    {
        var transaction = await BeginOrJoinAsync(context, cancellationToken).ConfigureAwait(false);
        try
        {
            // Released by the server at commit or rollback, even if this process dies. The function runs (and waits) in
            // the FROM clause, so the time selected is the server's once the lock is held.
            var sql = $"SELECT {ServerClock.AfterLock} FROM pg_advisory_xact_lock(@p0)";
            var at = await context.Database.SqlQueryRaw<DateTime>(sql, new Npgsql.NpgsqlParameter("p0", AdvisoryKey(scope)))
                .ToListAsync(cancellationToken).ConfigureAwait(false);
            ServerClock.Record(context, at[0]);
            return transaction;
        }
        catch
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task<IDbContextTransaction> BeginWorkItemTransactionAsync(DbContext context, Guid workItemId, CancellationToken cancellationToken)
    {
        var transaction = await BeginOrJoinAsync(context, cancellationToken).ConfigureAwait(false);
        try
        {
            // The same row lock a claim takes: a claim skips the row while the holder writes. After the holder commits, a claim
            // re-checks only rows it locks itself, which is why a claim of lapsed work locks the current assignment's row too
            // (a renewal changes that row, not this one).
            // NO KEY UPDATE, like every row lock of the library: the id never changes, and a plain FOR UPDATE would also
            // block the foreign-key checks (KEY SHARE) of rows that reference the item, such as a heartbeat updating its
            // session, which then deadlocks with this holder waiting for that session's lease renewal.
            // The time is selected above an aggregate over the locked row, so it is read once the lock is held (a time
            // selected beside the row would be read before a wait for it).
            var names = new StoreNames(context);
            var sql = $"SELECT {ServerClock.AfterLock} FROM (SELECT count(*) FROM (SELECT 1 FROM {names.Table<WorkItem>()} WHERE {names.Column<WorkItem>(nameof(WorkItem.Id))} = @p0 FOR NO KEY UPDATE) l) c";
            var at = await context.Database.SqlQueryRaw<DateTime>(sql, new Npgsql.NpgsqlParameter("p0", workItemId))
                .ToListAsync(cancellationToken).ConfigureAwait(false);
            ServerClock.Record(context, at[0]);
            return transaction;
        }
        catch
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public Task<IReadOnlyList<ClaimRow>> ClaimAsync(DbContext context, ClaimRequest request, CancellationToken cancellationToken) =>
        PostgreSqlClaimStrategy.ClaimAsync(context, this, request, cancellationToken);

    public Task<bool> TryCompleteClaimsAsync(DbContext context, CompletionRequest request, CancellationToken cancellationToken) =>
        PostgreSqlLeaseStrategy.TryCompleteAsync(context, request, cancellationToken);

    public Task<ClaimedWork?> TryRenewAsync(DbContext context, WorkLease lease, TimeSpan duration, TimeProvider? clock, CancellationToken cancellationToken) =>
        PostgreSqlLeaseStrategy.TryRenewAsync(context, lease, duration, clock, cancellationToken);

    /// <summary>
    /// READ COMMITTED only (READ UNCOMMITTED is the same in PostgreSQL): every library write takes a lock and then decides
    /// on what it reads, which a REPEATABLE READ or SERIALIZABLE transaction reads in a snapshot from before the lock wait.
    /// </summary>
    public async Task<IDbContextTransaction> JoinAsync(DbContext context, IDbContextTransaction ambient, CancellationToken cancellationToken)
    {
        if (Own.TryGetValue(ambient, out _))
        {
            return JoinedTransaction.Nested(ambient);
        }

        var transaction = ambient.GetDbTransaction();

        var level = transaction.IsolationLevel switch
        {
            IsolationLevel.RepeatableRead or IsolationLevel.Snapshot => "repeatable read",
            IsolationLevel.Serializable => "serializable",

            // Npgsql reports READ COMMITTED for a BEGIN without a level too, which runs at the session's
            // default_transaction_isolation: only the server knows.
            _ => await CurrentIsolationAsync(context, ambient, cancellationToken).ConfigureAwait(false),
        };
        if (level is not ("read committed" or "read uncommitted"))
        {
            throw new UnsupportedIsolationLevelException(level, SupportedIsolationLevels);
        }

        return await JoinedTransaction.BeginAsync(ambient, cancellationToken).ConfigureAwait(false);
    }

    public bool IsUniqueViolation(Exception exception) =>
        exception is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation } || (exception.InnerException is { } inner && IsUniqueViolation(inner));

    /// <summary>
    /// Inside the caller's transaction the locks are taken there and held until the caller ends it. The library's own
    /// transactions name READ COMMITTED, so a server whose default isolation is stricter cannot weaken lock-then-read.
    /// </summary>
    private async Task<IDbContextTransaction> BeginOrJoinAsync(DbContext context, CancellationToken cancellationToken)
    {
        if (context.Database.CurrentTransaction is { } ambient)
        {
            return await JoinAsync(context, ambient, cancellationToken).ConfigureAwait(false);
        }

        var transaction = await context.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
        Own.AddOrUpdate(transaction, transaction);
        return transaction;
    }

    private static readonly string[] SupportedIsolationLevels = ["read committed"];

    /// <summary>The library's own transactions (READ COMMITTED by construction): operations nested in them need neither a level check nor a savepoint.</summary>
    /// <remarks>Keyed on EF Core's transaction object, new for every transaction: Npgsql reuses its own per connection.</remarks>
    private static readonly ConditionalWeakTable<IDbContextTransaction, object> Own = [];

    private static async Task<string> CurrentIsolationAsync(DbContext context, IDbContextTransaction ambient, CancellationToken cancellationToken)
    {
        await using var command = context.Database.GetDbConnection().CreateCommand();
        command.Transaction = ambient.GetDbTransaction();
        command.CommandText = "SELECT current_setting('transaction_isolation')";
        return Convert.ToString(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
    }

    /// <summary>A stable 64-bit key for a scope name (the same in every process, unlike <see cref="string.GetHashCode()"/>).</summary>
    internal static long AdvisoryKey(string scope) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes("agent-orchestration:" + scope)));
}
