using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Qa;

/// <summary>A required QA type that lacks a passing latest result.</summary>
/// <param name="QaType">The required type.</param>
/// <param name="Reason">Why it does not pass.</param>
/// <param name="LatestResultId">The latest result of the type, if there is one.</param>
public sealed record QaShortfall(QaType QaType, QaShortfallReason Reason, Guid? LatestResultId);
