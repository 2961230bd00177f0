namespace AgentOrchestration.Data.Entities;

/// <summary>One run of an agent on a story, backlog item or task, with heartbeats (table <c>agent_sessions</c>).</summary>
public class AgentSession
{
    /// <summary>Gets or sets the identifier (UUID v7).</summary>
    public Guid Id { get; set; }

    /// <summary>Gets or sets the unique session key that QA results and file locks refer to.</summary>
    public string SessionId { get; set; } = null!;

    /// <summary>Gets or sets the project the session works in.</summary>
    public Guid ProjectId { get; set; }

    /// <summary>Gets or sets the agent profile running the session, if known.</summary>
    public Guid? AgentId { get; set; }

    /// <summary>Gets or sets the story the session works under; deleting the story deletes the session.</summary>
    public Guid? ParentStoryId { get; set; }

    /// <summary>Gets or sets the backlog item the session analyses.</summary>
    public Guid? BacklogId { get; set; }

    /// <summary>Gets or sets the task the session works on.</summary>
    public Guid? TaskId { get; set; }

    /// <summary>Gets or sets the agent's role.</summary>
    public SessionAgentType AgentType { get; set; }

    /// <summary>Gets or sets the status; <see cref="SessionStatus.Active"/> by default.</summary>
    public SessionStatus Status { get; set; }

    /// <summary>Gets or sets what the agent is doing now, as shown on dashboards.</summary>
    public string? CurrentAction { get; set; }

    /// <summary>Gets or sets the paths the session holds locks on (JSON), kept in step with <c>file_locks</c> by the library.</summary>
    public List<SessionFileLock>? FileLocks { get; set; }

    /// <summary>Gets or sets when the session started (UTC).</summary>
    public DateTimeOffset StartTime { get; set; }

    /// <summary>Gets or sets when the session ended (UTC).</summary>
    public DateTimeOffset? EndTime { get; set; }

    /// <summary>Gets or sets when the session last sent a heartbeat (UTC).</summary>
    public DateTimeOffset? LastHeartbeatAt { get; set; }

    /// <summary>Gets or sets the risk level; 0 by default.</summary>
    public int RiskLevel { get; set; }

    /// <summary>Gets or sets the oversight level; <see cref="OversightLevel.Standard"/> by default.</summary>
    public OversightLevel OversightLevel { get; set; }

    /// <summary>Gets or sets the project.</summary>
    public Project? Project { get; set; }

    /// <summary>Gets or sets the agent profile.</summary>
    public AgentProfile? Agent { get; set; }

    /// <summary>Gets or sets the parent story.</summary>
    public WorkItem? ParentStory { get; set; }

    /// <summary>Gets or sets the backlog item.</summary>
    public BacklogItem? Backlog { get; set; }

    /// <summary>Gets or sets the task.</summary>
    public WorkItem? Task { get; set; }

    /// <summary>Gets the QA results this session recorded.</summary>
    public ICollection<QaResult> QaResults { get; } = [];

    /// <summary>Gets the file locks this session holds.</summary>
    public ICollection<FileLock> Locks { get; } = [];
}
