using Microsoft.EntityFrameworkCore.Storage;

namespace AgentOrchestration.Data.Storage;

/// <summary>
/// Stands for the caller's own transaction when a library operation runs inside it (embedded hosts, or a turnkey caller
/// that opened a transaction on the library's context), under a savepoint taken when the operation joins: committing
/// releases the savepoint (the caller commits or rolls back the whole unit of work), and ending without a commit rolls
/// back to it. A refusal, a retried unique violation or a failure half-way therefore leaves the caller's transaction
/// as it was before the call, and usable (on PostgreSQL a failed statement would otherwise abort it: 25P02).
/// </summary>
internal sealed class JoinedTransaction : IDbContextTransaction
{
    /// <summary>
    /// One name for every library savepoint: joins nest strictly (an operation joined inside another ends first), and both
    /// databases roll back to and release the newest savepoint of a name.
    /// </summary>
    private const string Savepoint = "agent_orchestration";

    private readonly IDbContextTransaction ambient;
    private bool ended;

    private JoinedTransaction(IDbContextTransaction ambient) => this.ambient = ambient;

    public Guid TransactionId => ambient.TransactionId;

    public bool SupportsSavepoints => ambient.SupportsSavepoints;

    /// <summary>Takes the savepoint in <paramref name="ambient"/> and returns the operation's view of it.</summary>
    public static async Task<JoinedTransaction> BeginAsync(IDbContextTransaction ambient, CancellationToken cancellationToken)
    {
        await ambient.CreateSavepointAsync(Savepoint, cancellationToken).ConfigureAwait(false);
        return new JoinedTransaction(ambient);
    }

    /// <summary>
    /// Joins a transaction the library itself began for an enclosing operation, without a savepoint: that operation ends
    /// its transaction as a whole (it never goes on after a failure inside it), so a savepoint would only cost round trips.
    /// </summary>
    public static JoinedTransaction Nested(IDbContextTransaction ambient) => new(ambient) { ended = true };

    public void Commit()
    {
        if (!ended)
        {
            ended = true;
            ambient.ReleaseSavepoint(Savepoint);
        }
    }

    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        if (!ended)
        {
            ended = true;
            await ambient.ReleaseSavepointAsync(Savepoint, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Rollback()
    {
        if (!ended)
        {
            ended = true;
            ambient.RollbackToSavepoint(Savepoint);
            ambient.ReleaseSavepoint(Savepoint);
        }
    }

    public async Task RollbackAsync(CancellationToken cancellationToken = default)
    {
        if (!ended)
        {
            ended = true;
            await ambient.RollbackToSavepointAsync(Savepoint, cancellationToken).ConfigureAwait(false);
            await ambient.ReleaseSavepointAsync(Savepoint, cancellationToken).ConfigureAwait(false);
        }
    }

    public void CreateSavepoint(string name) => ambient.CreateSavepoint(name);

    public Task CreateSavepointAsync(string name, CancellationToken cancellationToken = default) => ambient.CreateSavepointAsync(name, cancellationToken);

    public void RollbackToSavepoint(string name) => ambient.RollbackToSavepoint(name);

    public Task RollbackToSavepointAsync(string name, CancellationToken cancellationToken = default) => ambient.RollbackToSavepointAsync(name, cancellationToken);

    public void ReleaseSavepoint(string name) => ambient.ReleaseSavepoint(name);

    public Task ReleaseSavepointAsync(string name, CancellationToken cancellationToken = default) => ambient.ReleaseSavepointAsync(name, cancellationToken);

    /// <summary>Ending uncommitted (a refusal or a failure) undoes the operation's part of the caller's transaction.</summary>
    public void Dispose() => Rollback();

    /// <summary>Ending uncommitted (a refusal or a failure) undoes the operation's part of the caller's transaction.</summary>
    public async ValueTask DisposeAsync()
    {
        // Not the operation's token: undoing its part must happen even when it was cancelled.
        await RollbackAsync(CancellationToken.None).ConfigureAwait(false);
    }
}
