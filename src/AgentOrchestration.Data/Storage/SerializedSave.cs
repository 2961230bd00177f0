using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Storage;

/// <summary>
/// Saves what the context already tracks under a lock scope, the way <see cref="WriteTransactions"/> does, for a write
/// that adds its entities before it knows whether it needs a lock of its own (a new work item outside a sprint).
/// </summary>
internal static class SerializedSave
{
    public static async Task SaveAsync(DbContext db, LockScope scope, CancellationToken cancellationToken)
    {
        await using var transaction = await WriteTransactions.BeginAsync(db, scope, cancellationToken).ConfigureAwait(false);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
