namespace AgentOrchestration.Data.Entities;

/// <summary>The state of a sprint, stored as <c>planned</c>, <c>active</c> or <c>completed</c>.</summary>
public enum SprintStatus
{
    /// <summary>Not started yet.</summary>
    Planned,

    /// <summary>Running; at most one per project.</summary>
    Active,

    /// <summary>Finished.</summary>
    Completed,
}
