using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Sqlite.EventLog;

/// <summary>
/// The SQLite feed: one writer at a time means sequences are taken and committed in the same order, so a reader that
/// sees sequence N has seen every event before it and can simply page by sequence.
/// </summary>
internal static class SqliteEventReader
{
    public static async Task<EventCursor?> FindCursorAsync(DbContext context, long sequence, CancellationToken cancellationToken) =>
        await context.Set<OrchestrationEvent>().AnyAsync(e => e.Sequence == sequence, cancellationToken).ConfigureAwait(false)
            ? new EventCursor(sequence, 0)
            : null;

    public static async Task<EventBatch> ReadAsync(DbContext context, EventCursor after, int take, Guid? projectId, CancellationToken cancellationToken)
    {
        var query = context.Set<OrchestrationEvent>().AsNoTracking().Where(e => e.Sequence > after.Sequence);
        if (projectId is { } project)
        {
            query = query.Where(e => e.ProjectId == project);
        }

        var events = await query.OrderBy(e => e.Sequence).Take(take).ToListAsync(cancellationToken).ConfigureAwait(false);
        return new EventBatch(events, events.Count == 0 ? after : new EventCursor(events[^1].Sequence, 0), HeldBack: false);
    }
}
