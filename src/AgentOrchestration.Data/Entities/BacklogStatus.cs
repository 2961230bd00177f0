namespace AgentOrchestration.Data.Entities;

/// <summary>The state of a backlog item, stored as <c>backlog</c>, <c>analyzing</c>, <c>ready</c> or <c>blocked</c>.</summary>
public enum BacklogStatus
{
    /// <summary>Submitted, waiting for analysis.</summary>
    Backlog,

    /// <summary>An agent is analysing it.</summary>
    Analyzing,

    /// <summary>Analysed and ready to become a story.</summary>
    Ready,

    /// <summary>Cannot proceed until something changes.</summary>
    Blocked,
}
