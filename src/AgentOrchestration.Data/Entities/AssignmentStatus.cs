namespace AgentOrchestration.Data.Entities;

/// <summary>The state of one task assignment, stored as <c>assigned</c>, <c>started</c>, <c>paused</c>, <c>completed</c> or <c>cancelled</c>.</summary>
public enum AssignmentStatus
{
    /// <summary>Handed to the agent, not started.</summary>
    Assigned,

    /// <summary>The agent is working.</summary>
    Started,

    /// <summary>The agent paused its work.</summary>
    Paused,

    /// <summary>Finished by the agent.</summary>
    Completed,

    /// <summary>Withdrawn, reassigned or expired.</summary>
    Cancelled,
}
