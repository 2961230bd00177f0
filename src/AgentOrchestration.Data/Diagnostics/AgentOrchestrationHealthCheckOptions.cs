namespace AgentOrchestration.Data.Diagnostics;

/// <summary>Options of the health checks that <c>AddHealthChecks().AddAgentOrchestration()</c> registers.</summary>
public sealed class AgentOrchestrationHealthCheckOptions
{
    /// <summary>The longest <see cref="EventFeedStallThreshold"/>.</summary>
    public static readonly TimeSpan MaxEventFeedStallThreshold = TimeSpan.FromDays(1);

    /// <summary>
    /// Gets or sets how long a transaction may hold the PostgreSQL event feed back (it wrote an event and has not ended, so
    /// no watch passes its position) before the event feed check reports it; 1 minute by default, more than zero and at
    /// most <see cref="MaxEventFeedStallThreshold"/>.
    /// </summary>
    public TimeSpan EventFeedStallThreshold { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets or sets the prefix of the checks' names (<c>{prefix}.database</c>, <c>.migrations</c>, <c>.event_feed</c>); <c>agent_orchestration</c> by default.</summary>
    public string NamePrefix { get; set; } = "agent_orchestration";

    /// <summary>Throws for the first option out of its range.</summary>
    internal void Validate()
    {
        if (EventFeedStallThreshold <= TimeSpan.Zero || EventFeedStallThreshold > MaxEventFeedStallThreshold)
        {
            throw new ArgumentOutOfRangeException(
                nameof(EventFeedStallThreshold), EventFeedStallThreshold,
                $"AgentOrchestrationHealthCheckOptions.EventFeedStallThreshold must be more than zero and at most {MaxEventFeedStallThreshold}.");
        }

        if (string.IsNullOrWhiteSpace(NamePrefix))
        {
            throw new ArgumentException("AgentOrchestrationHealthCheckOptions.NamePrefix must not be empty.", nameof(NamePrefix));
        }
    }
}
