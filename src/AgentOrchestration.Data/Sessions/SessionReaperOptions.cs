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
    /// error is dropped. Use it to log without giving the library a logging dependency.
    /// </summary>
    public Action<Exception>? OnError { get; set; }

    internal void Validate()
    {
        if (Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "The reaper timeout must be more than zero.");
        }

        if (Interval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Interval), Interval, "The reaper interval must be more than zero.");
        }
    }
}
