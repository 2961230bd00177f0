namespace AgentOrchestration.Data.Entities;

/// <summary>The details of an orchestration event (JSON in <c>orchestration_events.payload</c>).</summary>
public class EventPayload
{
    /// <summary>Gets or sets the state before the change, as stored (for example <c>assigned</c>).</summary>
    public string? From { get; set; }

    /// <summary>Gets or sets the state after the change, as stored (for example <c>in_progress</c>).</summary>
    public string? To { get; set; }

    /// <summary>Gets or sets the agent involved.</summary>
    public Guid? AgentId { get; set; }

    /// <summary>Gets or sets the session involved.</summary>
    public string? SessionId { get; set; }

    /// <summary>Gets or sets the work item involved.</summary>
    public Guid? WorkItemId { get; set; }

    /// <summary>Gets or sets a human-readable reason or note.</summary>
    public string? Reason { get; set; }

    /// <summary>Gets or sets further named values.</summary>
    public List<MetadataEntry> Data { get; set; } = [];
}
