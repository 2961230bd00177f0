namespace AgentOrchestration.Data.Entities;

/// <summary>The QA state of a task, stored as <c>not_started</c>, <c>in_qa</c>, <c>qa_passed</c> or <c>qa_failed</c>.</summary>
public enum QaStatus
{
    /// <summary>No QA has run.</summary>
    NotStarted,

    /// <summary>QA is under way.</summary>
    InQa,

    /// <summary>Every required QA type passed.</summary>
    QaPassed,

    /// <summary>A QA result failed; remediation is needed.</summary>
    QaFailed,
}
