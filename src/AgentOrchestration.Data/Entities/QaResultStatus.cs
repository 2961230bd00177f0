namespace AgentOrchestration.Data.Entities;

/// <summary>The outcome of one QA result, stored as <c>pass</c>, <c>fail</c> or <c>warning</c>.</summary>
public enum QaResultStatus
{
    /// <summary>The check passed.</summary>
    Pass,

    /// <summary>The check failed.</summary>
    Fail,

    /// <summary>The check passed with findings worth a look.</summary>
    Warning,
}
