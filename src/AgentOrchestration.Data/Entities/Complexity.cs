namespace AgentOrchestration.Data.Entities;

/// <summary>The estimated complexity of a backlog item, stored as <c>simple</c>, <c>moderate</c>, <c>complex</c> or <c>high_risk</c>.</summary>
public enum Complexity
{
    /// <summary>Small and well understood.</summary>
    Simple,

    /// <summary>The default: some unknowns.</summary>
    Moderate,

    /// <summary>Many moving parts.</summary>
    Complex,

    /// <summary>Risky enough to need close oversight.</summary>
    HighRisk,
}
