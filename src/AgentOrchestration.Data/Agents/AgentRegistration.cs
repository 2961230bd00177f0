using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Agents;

/// <summary>What registering an agent profile takes.</summary>
public sealed class AgentRegistration
{
    /// <summary>Gets or sets the display name (1 to 200 characters).</summary>
    public required string Name { get; set; }

    /// <summary>Gets or sets the unique slug: lowercase letters and digits in groups joined by single dashes, at most 100 characters, such as <c>backend-1</c>.</summary>
    public required string Slug { get; set; }

    /// <summary>Gets or sets the agent type, such as <c>backend-engineer</c> (1 to 100 characters).</summary>
    public required string Type { get; set; }

    /// <summary>Gets or sets the working mode, such as <c>implementation</c> (1 to 50 characters).</summary>
    public required string Mode { get; set; }

    /// <summary>Gets or sets a description (at most 20000 characters).</summary>
    public string? Description { get; set; }

    /// <summary>Gets or sets the capabilities; names are trimmed and lowercased, proficiency is 1 to 5.</summary>
    public IReadOnlyCollection<CapabilityEntry> Capabilities { get; set; } = [];

    /// <summary>Gets or sets the agent's limitations and rules.</summary>
    public AgentConstraints? Constraints { get; set; }

    /// <summary>Gets or sets the tools and integrations available to the agent (at most 500, no <see langword="null"/> entry, each named).</summary>
    public List<AgentTool>? Tools { get; set; }

    /// <summary>Gets or sets flexible additional data (at most 500 entries, no <see langword="null"/> entry, each with a key).</summary>
    public List<MetadataEntry>? Metadata { get; set; }

    /// <summary>Gets or sets how many assignments the agent may hold at once (1 to 1000); 1 by default.</summary>
    public int MaxConcurrentTasks { get; set; } = 1;
}
