using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Storage;

/// <summary>How a library write starts on a context that may be a host's own (embedded mode).</summary>
internal static class Tracking
{
    /// <summary>
    /// Refuses to start while the context holds unsaved changes, then forgets what it tracks, so the library reads the
    /// database's newest state and saves only its own change.
    /// </summary>
    /// <remarks>
    /// Without the refusal a host's pending changes would be either saved inside the library's transaction or silently
    /// dropped by the clear; with it, a host saves first (inside its own transaction, if it wants one unit of work).
    /// </remarks>
    /// <exception cref="InvalidOperationException">The context has added, modified or deleted entities.</exception>
    public static void Reset(DbContext db)
    {
        if (db.ChangeTracker.HasChanges())
        {
            var pending = db.ChangeTracker.Entries()
                .Where(e => e.State is EntityState.Added or EntityState.Modified or EntityState.Deleted)
                .Select(e => $"{e.Metadata.DisplayName()} ({e.State.ToString().ToLowerInvariant()})").Distinct().Take(5);
            throw new InvalidOperationException(
                $"The context has unsaved changes: {string.Join(", ", pending)}. Call SaveChanges (inside your transaction, to commit "
                + "together) or discard them before calling AgentOrchestration.Data, which would otherwise save them in its own "
                + "transaction or drop them.");
        }

        db.ChangeTracker.Clear();
    }
}
