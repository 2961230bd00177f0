using AgentOrchestration.Data.Diagnostics;
using AgentOrchestration.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace AgentOrchestration.Data.Storage;

/// <summary>
/// How every library write runs, in one place: reset tracking → begin the transaction holding its locks → apply the
/// change → save → commit → clear tracking. The services say what they change and under which
/// <see cref="LockScope"/>; this class says how.
/// </summary>
/// <remarks>
/// <para>
/// <c>apply</c> runs after the locks are held and reads what it decides on itself, so it sees the newest committed state
/// and can run again from the start: a failure before the commit leaves nothing behind (the transaction rolls back on
/// dispose, tracking is cleared). That makes this the one place for what wraps every write, such as tracing and counting
/// operations, each by the <c>operation</c> name. Transient faults are retried one level up, around the whole public
/// call (<see cref="Faults.ServiceBoundary{TService}"/>), so the reads before the write are retried too and nothing is
/// retried twice; the provider's transactions tell it when a commit was sent (<see cref="Faults.FaultAttempt.Committing"/>).
/// </para>
/// <para>
/// Inside a transaction the caller opened (embedded hosts), the write joins it under a savepoint
/// (<see cref="IOrchestrationProvider.JoinAsync"/>), takes its locks there (held until the caller ends it) and leaves the
/// caller's unit of work as it was if it fails.
/// </para>
/// </remarks>
internal sealed class WriteTransactions(OrchestrationContext orchestration, OrchestrationTelemetry telemetry)
{
    /// <summary>Whether the outermost write running on this context counts its events (while metrics are collected).</summary>
    private bool counting;

    private DbContext Db => orchestration.Context;

    /// <summary>
    /// Counts events a write committed outside <see cref="RunAsync{T}(string, IReadOnlyList{LockScope}, Func{CancellationToken, Task{T}}, CancellationToken)"/>
    /// (the claim's own statement), in <c>agent_orchestration.events.appended</c>.
    /// </summary>
    /// <param name="count">How many events the committed write appended.</param>
    public void EventsCommitted(int count)
    {
        if (count > 0)
        {
            telemetry.EventsAppended.Add(count);
        }
    }

    /// <summary>
    /// Runs a write that is one statement (or one batch) committing by itself, outside a caller's transaction: a provider's
    /// one-round-trip path. It gets the same telemetry as <see cref="RunAsync{T}(string, IReadOnlyList{LockScope}, Func{CancellationToken, Task{T}}, CancellationToken)"/>:
    /// a transaction span, and the events it committed.
    /// </summary>
    /// <typeparam name="T">What the statement returns.</typeparam>
    /// <param name="operation">The write's name, for traces and metrics.</param>
    /// <param name="statement">The statement; it commits by itself.</param>
    /// <param name="eventsOf">How many events the statement committed, from its result.</param>
    /// <param name="cancellationToken">A token to cancel the write.</param>
    /// <returns>What <paramref name="statement"/> returned.</returns>
    public async Task<T> RunStatementAsync<T>(string operation, Func<CancellationToken, Task<T>> statement, Func<T, int> eventsOf, CancellationToken cancellationToken)
    {
        using var span = OrchestrationTelemetry.StartSpan(SpanNames.Transaction)?.SetTag(TagNames.Operation, operation);
        Tracking.Reset(Db);
        try
        {
            var result = await statement(cancellationToken).ConfigureAwait(false);
            span?.SetTag(TagNames.Outcome, Outcomes.Ok);
            EventsCommitted(eventsOf(result));
            return result;
        }
        catch (Exception exception)
        {
            OrchestrationTelemetry.Fail(span, exception);
            throw;
        }
    }

    /// <summary>Runs <paramref name="apply"/> under <paramref name="scope"/> and commits what it changed.</summary>
    /// <typeparam name="T">What the write returns.</typeparam>
    /// <param name="operation">The write's name (<c>session.heartbeat</c>, ...), for retries, traces and metrics.</param>
    /// <param name="scope">The lock the transaction begins with.</param>
    /// <param name="apply">The change; it may throw to refuse, and nothing is written then.</param>
    /// <param name="cancellationToken">A token to cancel the write.</param>
    /// <returns>What <paramref name="apply"/> returned.</returns>
    public Task<T> RunAsync<T>(string operation, LockScope scope, Func<CancellationToken, Task<T>> apply, CancellationToken cancellationToken) =>
        RunAsync(operation, [scope], apply, cancellationToken);

    /// <summary>Runs <paramref name="apply"/> under <paramref name="scope"/> and commits what it changed.</summary>
    /// <param name="operation">The write's name, for retries, traces and metrics.</param>
    /// <param name="scope">The lock the transaction begins with.</param>
    /// <param name="apply">The change; it may throw to refuse, and nothing is written then.</param>
    /// <param name="cancellationToken">A token to cancel the write.</param>
    /// <returns>A task that completes when the change is committed.</returns>
    public Task RunAsync(string operation, LockScope scope, Func<CancellationToken, Task> apply, CancellationToken cancellationToken) =>
        RunAsync<bool>(operation, [scope], async ct =>
        {
            await apply(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>Runs <paramref name="apply"/> holding every lock of <paramref name="scopes"/>, taken in that order, and commits what it changed.</summary>
    /// <typeparam name="T">What the write returns.</typeparam>
    /// <param name="operation">The write's name, for retries, traces and metrics.</param>
    /// <param name="scopes">The locks, in <see cref="LockLevel"/> order.</param>
    /// <param name="apply">The change; it may throw to refuse, and nothing is written then.</param>
    /// <param name="cancellationToken">A token to cancel the write.</param>
    /// <returns>What <paramref name="apply"/> returned.</returns>
    public async Task<T> RunAsync<T>(string operation, IReadOnlyList<LockScope> scopes, Func<CancellationToken, Task<T>> apply, CancellationToken cancellationToken)
    {
        LockScope.EnsureOrder(operation, scopes);

        // The telemetry of every write, here once: a transaction span (under the public operation's span, over the
        // database's) and the events it committed, counted at each save of the write (a write may save more than once,
        // and writes it runs on its behalf save inside it) and added when it commits. Counting costs a change scan per
        // save, so only while measured, and only by the outermost write of this context.
        using var span = OrchestrationTelemetry.StartSpan(SpanNames.Transaction)?.SetTag(TagNames.Operation, operation);
        var outermost = telemetry.EventsAppended.Enabled && !counting;
        using var appended = outermost ? new AppendedEvents(Db) : null;
        counting |= outermost;

        // Nothing a host left tracked (or another call, refused or not) may ride along with this save.
        Tracking.Reset(Db);
        try
        {
            var result = await InTransactionAsync(Db, scopes, apply, cancellationToken).ConfigureAwait(false);
            span?.SetTag(TagNames.Outcome, Outcomes.Ok);
            EventsCommitted(appended?.Count ?? 0);
            return result;
        }
        catch (Exception exception)
        {
            OrchestrationTelemetry.Fail(span, exception);
            throw;
        }
        finally
        {
            // A refused change must not leave half-applied entities for the next SaveChanges of this scope, and a
            // committed one is stale in any tracked copy soon.
            Db.ChangeTracker.Clear();
            if (outermost)
            {
                counting = false;
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="apply"/> as part of the caller's own unit of work when a transaction is open on the context
    /// (joining it without the lock, and leaving its tracked entities alone: <paramref name="apply"/> stops tracking what
    /// it added itself); otherwise exactly as <see cref="RunAsync{T}(string, LockScope, Func{CancellationToken, Task{T}}, CancellationToken)"/>.
    /// </summary>
    /// <remarks>
    /// For a write that another write's transaction runs on its behalf (releasing a session's file locks while the session
    /// ends): the enclosing write already holds the locks it needs, and taking <paramref name="scope"/> after them could
    /// break the lock order.
    /// </remarks>
    /// <typeparam name="T">What the write returns.</typeparam>
    /// <param name="operation">The write's name, for retries, traces and metrics.</param>
    /// <param name="scope">The lock taken when the write runs alone.</param>
    /// <param name="apply">The change; it may throw to refuse, and nothing is written then.</param>
    /// <param name="cancellationToken">A token to cancel the write.</param>
    /// <returns>What <paramref name="apply"/> returned.</returns>
    public Task<T> RunOrJoinAsync<T>(string operation, LockScope scope, Func<CancellationToken, Task<T>> apply, CancellationToken cancellationToken) =>
        Db.Database.CurrentTransaction is null
            ? RunAsync(operation, [scope], apply, cancellationToken)
            : InTransactionAsync(Db, [scope with { JoinsCallerUnlocked = true }], apply, cancellationToken);

    /// <summary>Begins the transaction holding <paramref name="scope"/>, or joins the caller's.</summary>
    /// <param name="db">The context whose connection runs the transaction.</param>
    /// <param name="scope">The lock.</param>
    /// <param name="cancellationToken">A token to cancel the wait.</param>
    /// <returns>The transaction; commit or dispose it.</returns>
    internal static Task<IDbContextTransaction> BeginAsync(DbContext db, LockScope scope, CancellationToken cancellationToken)
    {
        var provider = OrchestrationProviders.For(db);
        if (scope.JoinsCallerUnlocked && db.Database.CurrentTransaction is { } ambient)
        {
            // The caller's transaction (a host's, or one of ours) already decides how this write waits; the savepoint
            // keeps a refused write from aborting it.
            return provider.JoinAsync(db, ambient, cancellationToken);
        }

        return scope.WorkItemId is { } workItemId
            ? provider.BeginWorkItemTransactionAsync(db, workItemId, cancellationToken)
            : provider.BeginSerializedAsync(db, scope.Name, cancellationToken);
    }

    private static async Task<IDbContextTransaction> BeginLockedAsync(DbContext db, LockScope scope, CancellationToken cancellationToken)
    {
        var transaction = await BeginAsync(db, scope, cancellationToken).ConfigureAwait(false);
        if (scope.SessionRowId is { } sessionId)
        {
            try
            {
                // Whether the row exists is for the write to find out: it loads the session it changes.
                await RowLocks.SessionAsync(db, sessionId, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await transaction.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        return transaction;
    }

    private static async Task<T> InTransactionAsync<T>(DbContext db, IReadOnlyList<LockScope> scopes, Func<CancellationToken, Task<T>> apply, CancellationToken cancellationToken)
    {
        // The first lock begins the transaction; the next ones join it (no savepoint: the first one ends it as a whole).
        var transactions = new List<IDbContextTransaction>(scopes.Count);
        try
        {
            foreach (var scope in scopes)
            {
                transactions.Add(await BeginLockedAsync(db, scope, cancellationToken).ConfigureAwait(false));
            }

            var result = await apply(cancellationToken).ConfigureAwait(false);
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            for (var i = transactions.Count - 1; i >= 0; i--)
            {
                await transactions[i].CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            return result;
        }
        finally
        {
            for (var i = transactions.Count - 1; i >= 0; i--)
            {
                await transactions[i].DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Counts the events each save of one write inserts, from the first save to the commit.</summary>
    private sealed class AppendedEvents : IDisposable
    {
        private readonly DbContext db;

        public AppendedEvents(DbContext db)
        {
            this.db = db;
            db.SavingChanges += OnSaving;
        }

        public int Count { get; private set; }

        public void Dispose() => db.SavingChanges -= OnSaving;

        private void OnSaving(object? sender, SavingChangesEventArgs e) =>
            Count += db.ChangeTracker.Entries<OrchestrationEvent>().Count(entry => entry.State == EntityState.Added);
    }
}
