namespace AgentOrchestration.Data.Claims;

/// <summary>Options of a claim.</summary>
public sealed class ClaimOptions
{
    /// <summary>The longest lease a claim may ask for.</summary>
    public static readonly TimeSpan MaxLeaseDuration = TimeSpan.FromHours(24);

    /// <summary>Gets or sets how long the lease lasts unless renewed; 5 minutes by default, at most <see cref="MaxLeaseDuration"/>.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets who claims, as recorded in the history and events; the agent's id by default.</summary>
    public string? Actor { get; set; }
}
