namespace AgentOrchestration.Data.Qa;

/// <summary>Why a required QA type does not pass yet.</summary>
public enum QaShortfallReason
{
    /// <summary>No result of the type was recorded for the task.</summary>
    NoResult,

    /// <summary>The latest result of the type failed.</summary>
    Failed,

    /// <summary>The latest result of the type is a warning, and warnings do not pass at the task's oversight level.</summary>
    Warning,
}
