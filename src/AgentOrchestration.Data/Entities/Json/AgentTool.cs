namespace AgentOrchestration.Data.Entities;

/// <summary>A tool or integration available to an agent (an element of the JSON array <c>agent_profiles.tools</c>).</summary>
public class AgentTool
{
    /// <summary>Gets or sets the tool name.</summary>
    public string Name { get; set; } = null!;

    /// <summary>Gets or sets what the tool is for.</summary>
    public string? Description { get; set; }
}
