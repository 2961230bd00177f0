namespace AgentOrchestration.Data.Entities;

/// <summary>A skill an agent declares (an element of the JSON array <c>agent_profiles.capabilities</c>).</summary>
public class CapabilityEntry
{
    /// <summary>Gets or sets the capability name.</summary>
    public string Name { get; set; } = null!;

    /// <summary>Gets or sets the proficiency from 1 to 5.</summary>
    public int Proficiency { get; set; } = 3;
}
