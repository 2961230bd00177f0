using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Agents;

/// <summary>Changes to an agent profile; a <see langword="null"/> property leaves that value as it is.</summary>
public sealed class AgentProfileUpdate
{
    /// <summary>Gets or sets the new display name (1 to 200 characters).</summary>
    public string? Name { get; set; }

    /// <summary>Gets or sets the new agent type (1 to 100 characters).</summary>
    public string? Type { get; set; }

    /// <summary>Gets or sets the new working mode (1 to 50 characters).</summary>
    public string? Mode { get; set; }

    /// <summary>Gets or sets the new description.</summary>
    public string? Description { get; set; }

    /// <summary>Gets or sets the new constraints.</summary>
    public AgentConstraints? Constraints { get; set; }

    /// <summary>Gets or sets the new tools.</summary>
    public List<AgentTool>? Tools { get; set; }

    /// <summary>Gets or sets the new metadata.</summary>
    public List<MetadataEntry>? Metadata { get; set; }
}
