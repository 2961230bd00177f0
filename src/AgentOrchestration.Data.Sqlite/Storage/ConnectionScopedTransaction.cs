using AgentOrchestration.Data.Sqlite.Locking;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace AgentOrchestration.Data.Sqlite.Storage;

/// <summary>
/// A transaction that, when it ends, lets the next writer in: of this process if one queues at the gate, within the
/// bound of one turn (<see cref="WriterGate.EndTurn"/>), else of the next process, then of this one (closing the gate's
/// kept connection when none of this process queues, see <see cref="WriterGate"/>), and closes the
/// connection opened for it unless <paramref name="closeConnection"/> is <see langword="false"/> (a context that owns its
/// connection, which keeps it open, with its compiled statements, until it is disposed or returned to its pool).
/// </summary>
internal sealed class ConnectionScopedTransaction(IDbContextTransaction inner, DbContext context, WriterGate gate, WriterQueue.Turn turn, bool closeConnection) : IDbContextTransaction
{
    private bool disposed;
    private bool committed;

    public Guid TransactionId => inner.TransactionId;

    public bool SupportsSavepoints => inner.SupportsSavepoints;

    public void Commit()
    {
        Data.Faults.FaultAttempt.Committing();
        inner.Commit();
        committed = true;
    }

    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        Data.Faults.FaultAttempt.Committing();
        await inner.CommitAsync(cancellationToken).ConfigureAwait(false);
        committed = true;
    }

    public void Rollback() => inner.Rollback();

    public Task RollbackAsync(CancellationToken cancellationToken = default) => inner.RollbackAsync(cancellationToken);

    public void CreateSavepoint(string name) => inner.CreateSavepoint(name);

    public Task CreateSavepointAsync(string name, CancellationToken cancellationToken = default) => inner.CreateSavepointAsync(name, cancellationToken);

    public void RollbackToSavepoint(string name) => inner.RollbackToSavepoint(name);

    public Task RollbackToSavepointAsync(string name, CancellationToken cancellationToken = default) => inner.RollbackToSavepointAsync(name, cancellationToken);

    public void ReleaseSavepoint(string name) => inner.ReleaseSavepoint(name);

    public Task ReleaseSavepointAsync(string name, CancellationToken cancellationToken = default) => inner.ReleaseSavepointAsync(name, cancellationToken);

    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            var connectionString = context.Database.GetDbConnection().ConnectionString;
            try
            {
                try
                {
                    inner.Dispose();
                }
                finally
                {
                    // The transaction is over and SQLite's lock free: the turn goes to the next writer of this process, or
                    // to the next process, which need not wait for the close.
                    gate.EndTurn(turn);
                }

                if (closeConnection)
                {
                    context.Database.CloseConnection();
                }
            }
            finally
            {
                // Still holding the gate: the kept connection is closed if no writer queues to use it.
                gate.CloseWriterIfIdle();
                gate.Leave();
                CheckpointIfDue(connectionString);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!disposed)
        {
            disposed = true;
            var connectionString = context.Database.GetDbConnection().ConnectionString;
            try
            {
                try
                {
                    await inner.DisposeAsync().ConfigureAwait(false);
                }
                finally
                {
                    // The transaction is over and SQLite's lock free: the turn goes to the next writer of this process, or
                    // to the next process, which need not wait for the close.
                    gate.EndTurn(turn);
                }

                if (closeConnection)
                {
                    await context.Database.CloseConnectionAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                // Still holding the gate: the kept connection is closed if no writer queues to use it.
                gate.CloseWriterIfIdle();
                gate.Leave();
                CheckpointIfDue(connectionString);
            }
        }
    }

    /// <summary>Once the gate is left; the checkpoint runs on a connection of its own, so no writer waits through it.</summary>
    private void CheckpointIfDue(string connectionString)
    {
        if (committed && turn.CountCommit())
        {
            Sqlite.Connections.WalCheckpoints.Start(connectionString);
        }
    }
}
