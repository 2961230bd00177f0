using Microsoft.EntityFrameworkCore.Storage;

namespace AgentOrchestration.Data.Internal;

/// <summary>
/// Stands for the caller's own transaction when a library operation runs inside it (embedded hosts): committing or
/// disposing it does nothing, because the caller commits or rolls back the whole unit of work.
/// </summary>
internal sealed class JoinedTransaction(IDbContextTransaction ambient) : IDbContextTransaction
{
    public Guid TransactionId => ambient.TransactionId;

    public bool SupportsSavepoints => ambient.SupportsSavepoints;

    public void Commit()
    {
    }

    public Task CommitAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public void Rollback() => ambient.Rollback();

    public Task RollbackAsync(CancellationToken cancellationToken = default) => ambient.RollbackAsync(cancellationToken);

    public void CreateSavepoint(string name) => ambient.CreateSavepoint(name);

    public Task CreateSavepointAsync(string name, CancellationToken cancellationToken = default) => ambient.CreateSavepointAsync(name, cancellationToken);

    public void RollbackToSavepoint(string name) => ambient.RollbackToSavepoint(name);

    public Task RollbackToSavepointAsync(string name, CancellationToken cancellationToken = default) => ambient.RollbackToSavepointAsync(name, cancellationToken);

    public void ReleaseSavepoint(string name) => ambient.ReleaseSavepoint(name);

    public Task ReleaseSavepointAsync(string name, CancellationToken cancellationToken = default) => ambient.ReleaseSavepointAsync(name, cancellationToken);

    public void Dispose()
    {
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
