namespace AgentOrchestration.Data.Entities;

/// <summary>The role of the agent that runs a session, stored as <c>prime</c>, <c>architecture</c>, <c>implementation</c>, <c>testing</c>, <c>security</c>, <c>integration</c> or <c>qa</c>.</summary>
public enum SessionAgentType
{
    /// <summary>The coordinating agent that analyses and approves.</summary>
    Prime,

    /// <summary>Designs the solution.</summary>
    Architecture,

    /// <summary>Writes the code.</summary>
    Implementation,

    /// <summary>Writes and runs tests.</summary>
    Testing,

    /// <summary>Reviews for security.</summary>
    Security,

    /// <summary>Integrates and ships.</summary>
    Integration,

    /// <summary>Checks quality and gates done.</summary>
    Qa,
}
