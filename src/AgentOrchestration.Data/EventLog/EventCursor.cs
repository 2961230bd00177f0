namespace AgentOrchestration.Data.EventLog;

/// <summary>
/// A position in the event log: the last event read and, on PostgreSQL, its writing transaction (the feed's primary
/// order there). The start of the log is (0, 0).
/// </summary>
internal readonly record struct EventCursor(long Sequence, ulong TransactionId)
{
    public static EventCursor Start { get; } = new(0, 0);
}
