namespace AgentOrchestration.Data.Entities;

/// <summary>How closely a session is overseen, stored as <c>standard</c>, <c>enhanced</c>, <c>strict</c> or <c>direct</c>.</summary>
public enum OversightLevel
{
    /// <summary>The default level.</summary>
    Standard,

    /// <summary>More QA than standard.</summary>
    Enhanced,

    /// <summary>Every QA type is required.</summary>
    Strict,

    /// <summary>A human oversees every step.</summary>
    Direct,
}
