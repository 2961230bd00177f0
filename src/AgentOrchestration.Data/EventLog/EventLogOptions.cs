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

    /// <summary>The largest <see cref="BatchSize"/>.</summary>
    internal const int MaxBatchSize = 1000;

    /// <summary>The longest <see cref="PollInterval"/>.</summary>
    internal static readonly TimeSpan MaxPollInterval = TimeSpan.FromHours(1);

    /// <summary>What is wrong with these options, one message per option naming it and its allowed range.</summary>
    internal IEnumerable<string> Problems()
    {
        if (PollInterval <= TimeSpan.Zero || PollInterval > MaxPollInterval)
        {
            yield return $"EventLogOptions.PollInterval is {PollInterval}: it must be more than zero and at most {MaxPollInterval}.";
        }

        if (BatchSize is < 1 or > MaxBatchSize)
        {
            yield return $"EventLogOptions.BatchSize is {BatchSize}: it must be from 1 to {MaxBatchSize}.";
        }
    }
}
