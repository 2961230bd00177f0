using Microsoft.EntityFrameworkCore.Storage;

namespace AgentOrchestration.Data.Faults;

/// <summary>A library transaction that tells the running attempt when its commit is sent (see <see cref="FaultAttempt.Committing"/>).</summary>
internal sealed class CommitMarkingTransaction(IDbContextTransaction inner) : IDbContextTransaction
{
    public Guid TransactionId => inner.TransactionId;

    public bool SupportsSavepoints => inner.SupportsSavepoints;

    public void Commit()
    {
        FaultAttempt.Committing();
        inner.Commit();
    }

    public Task CommitAsync(CancellationToken cancellationToken = default)
    {
        FaultAttempt.Committing();
        return inner.CommitAsync(cancellationToken);
    }

    public void Rollback() => inner.Rollback();

    public Task RollbackAsync(CancellationToken cancellationToken = default) => inner.RollbackAsync(cancellationToken);

    public void CreateSavepoint(string name) => inner.CreateSavepoint(name);

    public Task CreateSavepointAsync(string name, CancellationToken cancellationToken = default) => inner.CreateSavepointAsync(name, cancellationToken);

    public void RollbackToSavepoint(string name) => inner.RollbackToSavepoint(name);

    public Task RollbackToSavepointAsync(string name, CancellationToken cancellationToken = default) => inner.RollbackToSavepointAsync(name, cancellationToken);

    public void ReleaseSavepoint(string name) => inner.ReleaseSavepoint(name);

    public Task ReleaseSavepointAsync(string name, CancellationToken cancellationToken = default) => inner.ReleaseSavepointAsync(name, cancellationToken);

    public void Dispose() => inner.Dispose();

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
