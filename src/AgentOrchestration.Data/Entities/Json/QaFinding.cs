namespace AgentOrchestration.Data.Entities;

/// <summary>One specific finding of a QA check (an element of the JSON array <c>qa_results.findings</c>).</summary>
public class QaFinding
{
    /// <summary>Gets or sets the severity, such as <c>info</c>, <c>minor</c> or <c>major</c>.</summary>
    public string? Severity { get; set; }

    /// <summary>Gets or sets what was found.</summary>
    public string Message { get; set; } = null!;

    /// <summary>Gets or sets the project-relative file concerned.</summary>
    public string? File { get; set; }

    /// <summary>Gets or sets the line concerned.</summary>
    public int? Line { get; set; }
}
