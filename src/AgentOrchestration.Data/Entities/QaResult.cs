namespace AgentOrchestration.Data.Entities;

/// <summary>One QA check of a task by a session (table <c>qa_results</c>).</summary>
public class QaResult
{
    /// <summary>Gets or sets the identifier (UUID v7).</summary>
    public Guid Id { get; set; }

    /// <summary>Gets or sets the checked task's identifier.</summary>
    public Guid TaskId { get; set; }

    /// <summary>
    /// Gets or sets the project of the checked task (a copy of its work item's <see cref="WorkItem.ProjectId"/>, so the
    /// project's QA pass rates read one index range). <see cref="Qa.IQaService.RecordResultAsync"/> fills it; a result
    /// added directly must carry its task's project. The library never moves a work item to another project; code that
    /// does must move the item's results with it.
    /// </summary>
    public Guid ProjectId { get; set; }

    /// <summary>Gets or sets the <see cref="AgentSession.SessionId"/> of the session that ran the check.</summary>
    public string AgentSessionId { get; set; } = null!;

    /// <summary>Gets or sets the kind of check.</summary>
    public QaType QaType { get; set; }

    /// <summary>Gets or sets the outcome.</summary>
    public QaResultStatus Status { get; set; }

    /// <summary>Gets or sets the specific findings (JSON).</summary>
    public List<QaFinding>? Findings { get; set; }

    /// <summary>Gets or sets the mocks and shortcuts detected (JSON).</summary>
    public List<MockViolation>? MockViolations { get; set; }

    /// <summary>Gets or sets whether the success criteria are met.</summary>
    public bool SuccessCriteriaMet { get; set; }

    /// <summary>Gets or sets what must be fixed before the check can pass.</summary>
    public string? RemediationNeeded { get; set; }

    /// <summary>Gets or sets when the result was recorded (UTC; column <c>timestamp</c>).</summary>
    public DateTimeOffset RecordedAt { get; set; }

    /// <summary>Gets or sets the task.</summary>
    public WorkItem? Task { get; set; }

    /// <summary>Gets or sets the project.</summary>
    public Project? Project { get; set; }

    /// <summary>Gets or sets the session.</summary>
    public AgentSession? Session { get; set; }
}
