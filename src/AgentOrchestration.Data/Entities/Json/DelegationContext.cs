namespace AgentOrchestration.Data.Entities;

/// <summary>The context handed over with a delegation or an assignment (JSON in <c>delegation_context</c> and <c>task_assignments.context</c>).</summary>
public class DelegationContext
{
    /// <summary>Gets or sets notes for the assignee.</summary>
    public string? Notes { get; set; }

    /// <summary>Gets or sets instructions for the assignee.</summary>
    public string? Instructions { get; set; }

    /// <summary>Gets or sets the project-relative files the work concerns.</summary>
    public List<string> Files { get; set; } = [];

    /// <summary>Gets or sets further named values.</summary>
    public List<MetadataEntry> Data { get; set; } = [];
}
