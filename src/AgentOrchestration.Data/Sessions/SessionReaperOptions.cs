namespace AgentOrchestration.Data.Sessions;

/// <summary>
/// Options of the session reaper. <c>AddAgentOrchestration</c> registers the defaults for <see cref="ISessionReaper"/>;
/// <c>AddSessionReaper</c> replaces them and also runs the reaper in the background. To change the defaults without the
/// background service, register an instance before calling <c>AddAgentOrchestration</c>.
/// </summary>
public sealed class SessionReaperOptions
{
    /// <summary>Gets or sets how long a session may stay silent (no heartbeat) before it is reaped; 2 minutes by default.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Gets or sets how often the background service reaps; 30 seconds by default.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets whether silent paused sessions are reaped too; <see langword="true"/> by default. A paused agent is
    /// expected to keep heartbeating: pausing is a state of a live agent, and a session that paused and then died would
    /// otherwise hold its locks and work for ever.
    /// </summary>
    public bool IncludePaused { get; set; } = true;

    /// <summary>
    /// Gets or sets what the background service calls when a run fails (it then waits for the next run); by default the
    /// error is only logged (event 3005, ReaperRunFailed, at Warning).
    /// </summary>
    public Action<Exception>? OnError { get; set; }

    /// <summary>The longest <see cref="Interval"/>: a timer cannot wait longer than about 49 days, and a reaper that rare reaps nothing useful.</summary>
    internal static readonly TimeSpan MaxInterval = TimeSpan.FromDays(1);

    /// <summary>Throws for the first option out of its range (at registration, by <c>AddSessionReaper</c>).</summary>
    internal void Validate()
    {
        if (Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, TimeoutProblem);
        }

        if (Interval <= TimeSpan.Zero || Interval > MaxInterval)
        {
            throw new ArgumentOutOfRangeException(nameof(Interval), Interval, IntervalProblem);
        }
    }

    /// <summary>What is wrong with these options, one message per option naming it and its allowed range (at start-up).</summary>
    internal IEnumerable<string> Problems()
    {
        if (Timeout <= TimeSpan.Zero)
        {
            yield return $"{TimeoutProblem} It is {Timeout}.";
        }

        if (Interval <= TimeSpan.Zero || Interval > MaxInterval)
        {
            yield return $"{IntervalProblem} It is {Interval}.";
        }
    }

    private const string TimeoutProblem = "SessionReaperOptions.Timeout (the reaper timeout) must be more than zero.";

    private static string IntervalProblem => $"SessionReaperOptions.Interval (the reaper interval) must be more than zero and at most {MaxInterval}.";
}
