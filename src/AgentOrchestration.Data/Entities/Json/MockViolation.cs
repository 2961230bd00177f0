namespace AgentOrchestration.Data.Entities;

/// <summary>A mock or shortcut posing as real work (an element of the JSON array <c>qa_results.mock_violations</c>).</summary>
public class MockViolation
{
    /// <summary>Gets or sets what was detected.</summary>
    public string Description { get; set; } = null!;

    /// <summary>Gets or sets the project-relative file concerned.</summary>
    public string? File { get; set; }

    /// <summary>Gets or sets the line concerned.</summary>
    public int? Line { get; set; }
}
