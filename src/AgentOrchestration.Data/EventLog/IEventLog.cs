using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.EventLog;

/// <summary>
/// Reads <c>orchestration_events</c> forward from a position, and watches it for new events: the feed of dashboards
/// and projections. Every event is delivered once, in the log's order, and nothing is skipped when writers commit
/// out of order.
/// </summary>
/// <remarks>
/// The log's order is commit order on SQLite. On PostgreSQL it is the order of the writing transactions (by the id
/// PostgreSQL gives a transaction at its first write), then of the events within one; an event is delivered only once
/// every transaction that started writing before it has ended, so a late commit can never land behind a position a
/// reader has passed. A transaction's events are therefore contiguous, but sequence numbers need not increase across
/// transactions on PostgreSQL, and two transactions that overlapped may appear in either order: resume from the
/// <see cref="OrchestrationEvent.Sequence"/> of the last event you processed, never from the largest sequence you have seen.
/// </remarks>
public interface IEventLog
{
    /// <summary>Reads up to <paramref name="take"/> events after the event <paramref name="afterSequence"/>, in the log's order.</summary>
    /// <param name="afterSequence">The sequence of the last event already processed, or 0 to read from the start.</param>
    /// <param name="take">The page size, 1 to 1000.</param>
    /// <param name="projectId">Only events of this project; <see langword="null"/> reads every event.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The events, untracked; fewer than <paramref name="take"/> when the reader has caught up.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="afterSequence"/> is negative or <paramref name="take"/> is out of range.</exception>
    /// <exception cref="EntityNotFoundException">No event has the sequence <paramref name="afterSequence"/>.</exception>
    Task<IReadOnlyList<OrchestrationEvent>> ReadAsync(long afterSequence, int take = 100, Guid? projectId = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Streams the events after <paramref name="afterSequence"/>, then every new one as it commits, until
    /// <paramref name="cancellationToken"/> is cancelled. Wakes on PostgreSQL <c>LISTEN/NOTIFY</c> and polls on SQLite
    /// (see <see cref="EventLogOptions"/>); a dropped listening connection is reopened and reading resumes where it stopped.
    /// </summary>
    /// <param name="afterSequence">The sequence of the last event already processed, or 0 to stream from the start.</param>
    /// <param name="projectId">Only events of this project; <see langword="null"/> streams every event.</param>
    /// <param name="cancellationToken">A token that ends the stream.</param>
    /// <returns>The events, untracked, each once and in the log's order.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="afterSequence"/> is negative.</exception>
    /// <exception cref="EntityNotFoundException">No event has the sequence <paramref name="afterSequence"/>.</exception>
    IAsyncEnumerable<OrchestrationEvent> WatchAsync(long afterSequence = 0, Guid? projectId = null, CancellationToken cancellationToken = default);
}
