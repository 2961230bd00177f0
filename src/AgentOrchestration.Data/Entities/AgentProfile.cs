namespace AgentOrchestration.Data.Entities;

/// <summary>An AI agent that can be assigned work (table <c>agent_profiles</c>).</summary>
public class AgentProfile
{
    /// <summary>Gets or sets the identifier (UUID v7).</summary>
    public Guid Id { get; set; }

    /// <summary>Gets or sets the display name.</summary>
    public string Name { get; set; } = null!;

    /// <summary>Gets or sets the unique slug used by CLIs and APIs: lowercase letters, digits and single dashes.</summary>
    public string Slug { get; set; } = null!;

    /// <summary>Gets or sets the agent type, such as <c>backend-engineer</c>.</summary>
    public string Type { get; set; } = null!;

    /// <summary>Gets or sets the working mode, such as <c>implementation</c>, <c>planning</c> or <c>review</c>.</summary>
    public string Mode { get; set; } = null!;

    /// <summary>Gets or sets a description.</summary>
    public string? Description { get; set; }

    /// <summary>Gets or sets the skills the agent declares (JSON); claims match on <see cref="CapabilityRecords"/>.</summary>
    public List<CapabilityEntry>? Capabilities { get; set; }

    /// <summary>Gets or sets the agent's limitations and rules (JSON).</summary>
    public AgentConstraints? Constraints { get; set; }

    /// <summary>Gets or sets the tools and integrations available to the agent (JSON).</summary>
    public List<AgentTool>? Tools { get; set; }

    /// <summary>Gets or sets flexible additional data (JSON).</summary>
    public List<MetadataEntry>? Metadata { get; set; }

    /// <summary>Gets or sets the status; <see cref="AgentStatus.Active"/> by default.</summary>
    public AgentStatus Status { get; set; }

    /// <summary>Gets or sets how many assignments the agent may hold at once; 1 by default.</summary>
    public int MaxConcurrentTasks { get; set; } = 1;

    /// <summary>Gets or sets when the profile was created (UTC).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Gets or sets when the profile was last updated (UTC).</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Gets the normalised capabilities that claims match on (table <c>agent_capabilities</c>).</summary>
    public ICollection<AgentCapability> CapabilityRecords { get; } = [];

    /// <summary>Gets the agent's assignments, past and present.</summary>
    public ICollection<TaskAssignment> Assignments { get; } = [];

    /// <summary>Gets the assignments among the loaded <see cref="Assignments"/> that are assigned, started or paused.</summary>
    public IEnumerable<TaskAssignment> ActiveAssignments => Assignments.Where(a => a.IsActive);

    /// <summary>Gets the work items the agent was ever assigned, through <c>task_assignments</c>.</summary>
    public ICollection<WorkItem> AssignedTasks { get; } = [];
}
