using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Qa;

/// <summary>Where a task stands in QA: what its oversight level requires, the latest result of each type, and what is missing.</summary>
/// <param name="TaskId">The task or bug.</param>
/// <param name="QaStatus">The stored QA status (<c>work_items.qa_status</c>).</param>
/// <param name="SuccessCriteriaMet">Whether the latest <c>success_criteria</c> result says the criteria are met (<c>work_items.success_criteria_met</c>).</param>
/// <param name="ImplementingSessionId">The session implementing the task (<c>work_items.assigned_agent_session</c>), if known.</param>
/// <param name="OversightLevel">The implementing session's oversight level, or the policy's level for unknown sessions.</param>
/// <param name="RequiredTypes">The QA types required at that level (none for epics and stories, which are not gated).</param>
/// <param name="LatestResults">The latest result of each QA type recorded for the task, required or not, in the order of <see cref="QaType"/>.</param>
/// <param name="Missing">The required types without a passing latest result; empty when the task may complete.</param>
public sealed record QaState(
    Guid TaskId,
    QaStatus QaStatus,
    bool SuccessCriteriaMet,
    string? ImplementingSessionId,
    OversightLevel OversightLevel,
    IReadOnlyList<QaType> RequiredTypes,
    IReadOnlyList<QaResult> LatestResults,
    IReadOnlyList<QaShortfall> Missing)
{
    /// <summary>Gets whether QA lets the task complete (no required type is missing).</summary>
    public bool CanComplete => Missing.Count == 0;
}
