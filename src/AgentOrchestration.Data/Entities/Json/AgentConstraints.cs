namespace AgentOrchestration.Data.Entities;

/// <summary>An agent's limitations and rules (JSON in <c>agent_profiles.constraints</c>).</summary>
public class AgentConstraints
{
    /// <summary>Gets or sets rules the agent must follow, in plain words.</summary>
    public List<string> Rules { get; set; } = [];

    /// <summary>Gets or sets path patterns the agent may change; empty means any.</summary>
    public List<string> AllowedPaths { get; set; } = [];

    /// <summary>Gets or sets path patterns the agent must never change.</summary>
    public List<string> ForbiddenPaths { get; set; } = [];

    /// <summary>Gets or sets the most hours the agent may spend on one task.</summary>
    public decimal? MaxHoursPerTask { get; set; }
}
