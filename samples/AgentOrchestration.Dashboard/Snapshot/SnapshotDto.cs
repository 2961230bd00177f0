using AgentOrchestration.Data.Dashboards;
using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Dashboard.Snapshot;

/// <summary>
/// The page's whole state for one project (<c>GET /api/snapshot</c>, and the <c>snapshot</c> messages of the stream).
/// <see cref="Cursor"/> is the event the stream resumes after: every event up to it is reflected here.
/// </summary>
internal sealed record SnapshotDto(
    long Cursor,
    DateTimeOffset TakenAt,
    ProjectDto Project,
    IReadOnlyList<ProjectDto> Projects,
    IReadOnlyList<AgentDto> Agents,
    IReadOnlyList<SessionDto> Sessions,
    IReadOnlyList<LockDto> Locks,
    IReadOnlyList<WorkStatusCount> WorkByStatus,
    IReadOnlyList<SprintDto> Sprints,
    IReadOnlyList<WorkItemDto> WorkItems,
    IReadOnlyList<QaRateDto> QaPassRates,
    IReadOnlyList<QaResultDto> QaResults,
    IReadOnlyList<BacklogDto> Backlog,
    IReadOnlyList<AttentionDto> Attention,
    IReadOnlyList<Dashboard.EventDto> RecentEvents);

internal sealed record ProjectDto(Guid Id, string Key, string Name, DateTimeOffset CreatedAt);

internal sealed record AgentDto(
    Guid Id, string Slug, string Name, string Type, string Mode, AgentStatus Status, int MaxConcurrentTasks,
    int ActiveAssignments, decimal EstimatedHours, decimal ActualHours);

/// <summary>A session; <see cref="HeartbeatAgeSeconds"/> is measured at the snapshot's <c>takenAt</c> (null for ended sessions).</summary>
internal sealed record SessionDto(
    Guid Id, string SessionId, SessionStatus Status, SessionAgentType AgentType, string? AgentSlug, Guid? TaskId, string? TaskTitle,
    string? CurrentAction, DateTimeOffset StartTime, DateTimeOffset? EndTime, DateTimeOffset? LastHeartbeatAt, double? HeartbeatAgeSeconds,
    OversightLevel OversightLevel, int RiskLevel, IReadOnlyList<LockDto> Locks);

internal sealed record LockDto(string FilePath, FileLockType LockType, string? HolderAgent, string HolderSession, DateTimeOffset AcquiredAt, DateTimeOffset? ExpiresAt);

internal sealed record SprintDto(
    Guid Id, string Name, string? Goal, SprintStatus Status, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, int TotalItems, int DoneItems,
    decimal EstimatedHours, decimal DoneEstimatedHours, decimal ActualHours, int UnassignedItems, IReadOnlyList<WorkStatusCount> WorkByStatus);

internal sealed record WorkItemDto(
    Guid Id, WorkItemType Type, string Title, WorkItemStatus Status, DelegationStatus DelegationStatus, QaStatus QaStatus, int Priority,
    Guid? SprintId, Guid? ParentId, string? AssignedAgent, decimal? EstimatedHours, decimal? ActualHours, DateTimeOffset UpdatedAt);

internal sealed record QaRateDto(QaType QaType, int Total, int Passed, int Warnings, int Failed, double PassRate);

internal sealed record QaResultDto(
    Guid Id, Guid TaskId, string TaskTitle, QaType QaType, QaResultStatus Status, string AgentSessionId, bool SuccessCriteriaMet,
    string? RemediationNeeded, DateTimeOffset RecordedAt, IReadOnlyList<FindingDto> Findings, IReadOnlyList<MockViolationDto> MockViolations);

internal sealed record FindingDto(string? Severity, string Message, string? File, int? Line);

internal sealed record MockViolationDto(string Description, string? File, int? Line);

internal sealed record BacklogDto(
    Guid Id, string Title, BacklogStatus Status, int Priority, Complexity EstimatedComplexity, int BusinessValue, int RiskScore,
    string? AssignedToAgent, DateTimeOffset SubmittedAt, DateTimeOffset? LastAnalyzed);

internal sealed record AttentionDto(
    Guid Id, WorkItemType Type, string Title, WorkItemStatus Status, DelegationStatus DelegationStatus, string? AssignedAgent,
    double IdleSeconds, bool IsBlocked, bool IsStale);
