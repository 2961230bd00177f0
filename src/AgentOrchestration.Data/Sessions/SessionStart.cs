using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Sessions;

/// <summary>What <see cref="ISessionService.StartAsync"/> needs to start an agent session.</summary>
/// <param name="ProjectId">The project the session works in; its story, backlog item and task must belong to it.</param>
/// <param name="AgentType">The agent's role.</param>
public sealed record SessionStart(Guid ProjectId, SessionAgentType AgentType)
{
    /// <summary>The highest <see cref="RiskLevel"/>.</summary>
    public const int MaxRiskLevel = 10;

    /// <summary>The longest <see cref="SessionId"/>.</summary>
    public const int MaxSessionIdLength = 200;

    /// <summary>
    /// Gets the unique session key that file locks, QA results and work items refer to: 1 to 200 characters, ASCII
    /// letters, digits, <c>.</c>, <c>_</c>, <c>:</c> and <c>-</c>, starting with a letter or digit. <see langword="null"/>
    /// generates a readable unique key such as <c>implementation-20261123T090000Z-5f0c2a9b81d4</c>.
    /// </summary>
    public string? SessionId { get; init; }

    /// <summary>Gets the agent profile running the session, if known; it must be active. Sessions without an agent own no claimed work.</summary>
    public Guid? AgentId { get; init; }

    /// <summary>Gets the story the session works under (a work item of type story in the same project).</summary>
    public Guid? ParentStoryId { get; init; }

    /// <summary>Gets the backlog item the session analyses (in the same project).</summary>
    public Guid? BacklogId { get; init; }

    /// <summary>Gets the task the session works on (a work item of type task or bug in the same project).</summary>
    public Guid? TaskId { get; init; }

    /// <summary>Gets the risk level, from 0 (none, the default) to <see cref="MaxRiskLevel"/>.</summary>
    public int RiskLevel { get; init; }

    /// <summary>Gets the oversight level; <see cref="OversightLevel.Standard"/> by default.</summary>
    public OversightLevel OversightLevel { get; init; } = OversightLevel.Standard;

    /// <summary>Gets what the agent starts by doing, as shown on dashboards (at most 2000 characters).</summary>
    public string? CurrentAction { get; init; }
}
