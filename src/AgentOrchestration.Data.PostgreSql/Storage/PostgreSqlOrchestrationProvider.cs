using System.Data;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.PostgreSql.Claims;
using AgentOrchestration.Data.PostgreSql.EventLog;
using AgentOrchestration.Data.PostgreSql.Locking;
using AgentOrchestration.Data.PostgreSql.Sessions;
using AgentOrchestration.Data.PostgreSql.Storage;
using AgentOrchestration.Data.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

[assembly: OrchestrationProvider(typeof(PostgreSqlOrchestrationProvider))]

namespace AgentOrchestration.Data.PostgreSql.Storage;

/// <summary>PostgreSQL behaviour: advisory locks serialize writers of one scope across processes and machines.</summary>
internal sealed class PostgreSqlOrchestrationProvider : IOrchestrationProvider
{
    public Task<EventCursor?> FindEventCursorAsync(DbContext context, long sequence, CancellationToken cancellationToken) =>
        PostgreSqlEventReader.FindCursorAsync(context, sequence, cancellationToken);

    public Task<EventBatch> ReadEventsAsync(DbContext context, EventCursor after, int take, Guid? projectId, CancellationToken cancellationToken) =>
        PostgreSqlEventReader.ReadAsync(context, after, take, projectId, cancellationToken);

    public Task<IEventWakeup> ListenForEventsAsync(DbContext context, CancellationToken cancellationToken) =>
        PostgreSqlEventListener.StartAsync(context, cancellationToken);

    public Task<EventFeedWriter?> FindOldestEventFeedWriterAsync(DbContext context, CancellationToken cancellationToken) =>
        PostgreSqlEventReader.FindOldestWriterAsync(context, cancellationToken);

    public bool HasServerClock => true;

    public Task<DateTimeOffset> ServerNowAsync(DbContext context, bool afterLock, CancellationToken cancellationToken) =>
        ServerClock.NowAsync(context, afterLock, cancellationToken);

    public Task<IDbContextTransaction> BeginSerializedAsync(DbContext context, string scope, CancellationToken cancellationToken) =>
        BeginLockedAsync(context, ct => PostgreSqlLocks.AdvisoryAsync(context, scope, ct), cancellationToken);

    public Task<IDbContextTransaction> BeginWorkItemTransactionAsync(DbContext context, Guid workItemId, CancellationToken cancellationToken) =>
        BeginLockedAsync(context, ct => PostgreSqlLocks.WorkItemAsync(context, workItemId, ct), cancellationToken);

    public Task<IReadOnlyList<ClaimRow>> ClaimAsync(DbContext context, ClaimRequest request, CancellationToken cancellationToken) =>
        ClaimCombiner.ClaimAsync(context, this, request, cancellationToken);

    public Task<bool> TryCompleteClaimsAsync(DbContext context, CompletionRequest request, CancellationToken cancellationToken) =>
        CompletionCombiner.TryCompleteAsync(context, request, cancellationToken);

    public Task<CompleteAndClaimResult?> TryCompleteAndClaimAsync(DbContext context, CompletionRequest completion, ClaimRequest claim, CancellationToken cancellationToken) =>
        PostgreSqlClaimStrategy.CompleteAndClaimAsync(context, completion, claim, cancellationToken);

    public Task<ClaimedWork?> TryRenewAsync(DbContext context, WorkLease lease, TimeSpan duration, TimeProvider? clock, CancellationToken cancellationToken) =>
        PostgreSqlLeaseStrategy.TryRenewAsync(context, lease, duration, clock, cancellationToken);

    public Task<HeartbeatResult?> TryHeartbeatAsync(DbContext context, HeartbeatStatement request, CancellationToken cancellationToken) =>
        PostgreSqlSessionStrategy.TryHeartbeatAsync(context, request, cancellationToken);

    public Task<FileLockGrant?> TryAcquireFileLocksAsync(DbContext context, FileLockAcquisition request, CancellationToken cancellationToken) =>
        PostgreSqlFileLockStrategy.TryAcquireAsync(context, request, cancellationToken);

    public Task<FileLockReleaseResult?> TryReleaseFileLocksAsync(DbContext context, FileLockRelease request, CancellationToken cancellationToken) =>
        PostgreSqlFileLockStrategy.TryReleaseAsync(context, request, cancellationToken);

    public Task<FileLockRenewalResult?> TryRenewFileLocksAsync(DbContext context, FileLockRenewal request, CancellationToken cancellationToken) =>
        PostgreSqlFileLockStrategy.TryRenewAsync(context, request, cancellationToken);

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

    /// <summary>
    /// The event feed's pieces (<see cref="EventFeedSchema"/>), for a model Npgsql builds: ApplyAgentOrchestration runs
    /// inside a host's OnModelCreating without its context, but Npgsql's model-initialized convention has already
    /// annotated the model by then (its value generation strategy), on every Npgsql version.
    /// </summary>
    public void ConfigureModel(ModelBuilder modelBuilder, SchemaNames names)
    {
        if (IsNpgsqlModel(modelBuilder))
        {
            EventFeedSchema.Configure(modelBuilder, names);
            CoveringIndexes.Configure(modelBuilder, names);
        }
    }

    public string? EnumCheckSql(ModelBuilder modelBuilder, string column, IReadOnlyList<string> values) =>
        IsNpgsqlModel(modelBuilder) ? EnumChecks.Sql(column, values) : null;

    public Data.Faults.FaultKind ClassifyFault(Exception exception) => PostgreSqlFaults.Classify(exception);

    private static bool IsNpgsqlModel(ModelBuilder modelBuilder) =>
        modelBuilder.Model.GetAnnotations().Any(a => a.Name.StartsWith("Npgsql:", StringComparison.Ordinal));

    /// <summary>A network round trip per statement is what a one-statement completion saves.</summary>
    public bool HasOneStatementLeases => true;

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
        return new Data.Faults.CommitMarkingTransaction(transaction);
    }

    private async Task<IDbContextTransaction> BeginLockedAsync(DbContext context, Func<CancellationToken, Task> takeLock, CancellationToken cancellationToken)
    {
        var transaction = await BeginOrJoinAsync(context, cancellationToken).ConfigureAwait(false);
        try
        {
            await takeLock(cancellationToken).ConfigureAwait(false);
            return transaction;
        }
        catch
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
            throw;
        }
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
}
