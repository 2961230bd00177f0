namespace AgentOrchestration.Data.Entities;

/// <summary>The state of an agent session, stored as <c>active</c>, <c>paused</c>, <c>completed</c>, <c>failed</c> or <c>halted</c>.</summary>
public enum SessionStatus
{
    /// <summary>Running and heartbeating.</summary>
    Active,

    /// <summary>Paused by the agent or an operator.</summary>
    Paused,

    /// <summary>Ended normally.</summary>
    Completed,

    /// <summary>Ended by an error or by the reaper after missed heartbeats.</summary>
    Failed,

    /// <summary>Stopped by an operator.</summary>
    Halted,
}
