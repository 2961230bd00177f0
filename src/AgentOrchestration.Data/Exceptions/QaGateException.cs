using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Qa;

namespace AgentOrchestration.Data;

/// <summary>Thrown when a task or bug cannot complete because a QA type its oversight level requires lacks a passing latest result.</summary>
public sealed class QaGateException : AgentOrchestrationException
{
    /// <summary>Initializes a new instance of the <see cref="QaGateException"/> class.</summary>
    /// <param name="workItemId">The task or bug that was to complete.</param>
    /// <param name="oversightLevel">The oversight level that decided the required types.</param>
    /// <param name="requiredTypes">Every QA type required at that level.</param>
    /// <param name="missing">The required types without a passing latest result, and why.</param>
    public QaGateException(Guid workItemId, OversightLevel oversightLevel, IReadOnlyList<QaType> requiredTypes, IReadOnlyList<QaShortfall> missing)
        : base(Describe(workItemId, oversightLevel, requiredTypes, missing))
    {
        WorkItemId = workItemId;
        OversightLevel = oversightLevel;
        RequiredTypes = requiredTypes;
        Missing = missing;
    }

    /// <summary>Gets the task or bug that was to complete.</summary>
    public Guid WorkItemId { get; }

    /// <summary>Gets the oversight level that decided the required types.</summary>
    public OversightLevel OversightLevel { get; }

    /// <summary>Gets every QA type required at <see cref="OversightLevel"/>.</summary>
    public IReadOnlyList<QaType> RequiredTypes { get; }

    /// <summary>Gets the required types without a passing latest result, and why.</summary>
    public IReadOnlyList<QaShortfall> Missing { get; }

    private static string Describe(Guid workItemId, OversightLevel level, IReadOnlyList<QaType> required, IReadOnlyList<QaShortfall> missing)
    {
        var stored = StoredEnum.ToStore(level);
        var reasons = missing.Select(m => $"{StoredEnum.ToStore(m.QaType)} ({m.Reason switch
        {
            QaShortfallReason.NoResult => "no result",
            QaShortfallReason.Failed => $"the latest result {m.LatestResultId} failed",
            _ => $"the latest result {m.LatestResultId} is a warning, which does not pass at '{stored}'",
        }})");
        return $"The work item '{workItemId}' cannot complete: at oversight level '{stored}' it needs a passing latest QA result of "
            + $"{string.Join(", ", required.Select(StoredEnum.ToStore))}. Missing: {string.Join("; ", reasons)}.";
    }
}
