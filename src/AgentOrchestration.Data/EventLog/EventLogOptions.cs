namespace AgentOrchestration.Data.EventLog;

/// <summary>
/// Options of <see cref="IEventLog.WatchAsync"/>. <c>AddAgentOrchestration</c> registers the defaults; to change them,
/// register an instance before calling it.
/// </summary>
public sealed class EventLogOptions
{
    /// <summary>
    /// Gets or sets how often a watch polls when nothing wakes it: the SQLite polling interval, and on PostgreSQL the
    /// safety net should a notification be lost; 250 milliseconds by default.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Gets or sets how many events a watch reads per round trip while catching up; 500 by default.</summary>
    public int BatchSize { get; set; } = 500;
}
