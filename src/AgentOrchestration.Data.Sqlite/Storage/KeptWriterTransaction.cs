using AgentOrchestration.Data.Sqlite.Claims;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace AgentOrchestration.Data.Sqlite.Storage;

/// <summary>
/// A context's write transaction on its gate's kept connection (<see cref="WriterGate"/>), held with the gate: the
/// context's plain statements (<see cref="SqliteStatements.Command"/>) run in it until it ends. Ending it rolls back what
/// was not committed; a failed rollback closes the kept connection, so no next writer inherits whatever state it left.
/// </summary>
internal sealed class KeptWriterTransaction : IDbContextTransaction
{
    private readonly SqliteTransaction inner;
    private readonly DbContext context;
    private readonly WriterGate gate;
    private bool disposed;

    public KeptWriterTransaction(SqliteTransaction inner, DbContext context, WriterGate gate)
    {
        this.inner = inner;
        this.context = context;
        this.gate = gate;
        SqliteStatements.UseKeptWriter(context, inner);
    }

    public Guid TransactionId { get; } = Guid.NewGuid();

    public bool SupportsSavepoints => true;

    public void Commit() => inner.Commit();

    public Task CommitAsync(CancellationToken cancellationToken = default) => inner.CommitAsync(cancellationToken);

    public void Rollback() => inner.Rollback();

    public Task RollbackAsync(CancellationToken cancellationToken = default) => inner.RollbackAsync(cancellationToken);

    public void CreateSavepoint(string name) => inner.Save(name);

    public Task CreateSavepointAsync(string name, CancellationToken cancellationToken = default) => inner.SaveAsync(name, cancellationToken);

    public void RollbackToSavepoint(string name) => inner.Rollback(name);

    public Task RollbackToSavepointAsync(string name, CancellationToken cancellationToken = default) => inner.RollbackAsync(name, cancellationToken);

    public void ReleaseSavepoint(string name) => inner.Release(name);

    public Task ReleaseSavepointAsync(string name, CancellationToken cancellationToken = default) => inner.ReleaseAsync(name, cancellationToken);

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        SqliteStatements.LeaveKeptWriter(context);
        try
        {
            inner.Dispose();
        }
        catch
        {
            gate.CloseWriter();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
