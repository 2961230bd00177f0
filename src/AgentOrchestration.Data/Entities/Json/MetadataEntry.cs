namespace AgentOrchestration.Data.Entities;

/// <summary>A named value in a JSON list of extra data.</summary>
public class MetadataEntry
{
    /// <summary>Gets or sets the name.</summary>
    public string Key { get; set; } = null!;

    /// <summary>Gets or sets the value.</summary>
    public string? Value { get; set; }
}
