namespace AgentOrchestration.Data.Entities;

/// <summary>One normalised capability of an agent (table <c>agent_capabilities</c>); claims match required capabilities on it.</summary>
public class AgentCapability
{
    /// <summary>Gets or sets the identifier (UUID v7).</summary>
    public Guid Id { get; set; }

    /// <summary>Gets or sets the agent's identifier.</summary>
    public Guid AgentId { get; set; }

    /// <summary>Gets or sets the normalised capability name: lowercase, trimmed, such as <c>csharp</c> or <c>postgresql</c>.</summary>
    public string Capability { get; set; } = null!;

    /// <summary>Gets or sets the proficiency from 1 (basic) to 5 (expert); 3 by default.</summary>
    public int Proficiency { get; set; } = 3;

    /// <summary>Gets or sets when the capability was added (UTC).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Gets or sets the agent.</summary>
    public AgentProfile? Agent { get; set; }
}
