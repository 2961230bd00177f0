using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Storage;

/// <summary>
/// Saves pending changes inside the provider's serialized write transaction, so every write of the library waits for
/// the database the same way (on SQLite: the async gate and retry, never Microsoft.Data.Sqlite's blocking loop).
/// </summary>
internal static class SerializedSave
{
    public static async Task SaveAsync(DbContext db, string scope, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is { } ambient)
        {
            // The caller's transaction (a host's, or one of ours) already decides how this write waits; the savepoint
            // keeps a refused write from aborting it.
            await using var joined = await OrchestrationProviders.For(db).JoinAsync(db, ambient, cancellationToken).ConfigureAwait(false);
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            await joined.CommitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        await using var transaction = await OrchestrationProviders.For(db).BeginSerializedAsync(db, scope, cancellationToken).ConfigureAwait(false);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
