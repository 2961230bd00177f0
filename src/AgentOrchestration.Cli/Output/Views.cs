using AgentOrchestration.Cli.Hosting;
using AgentOrchestration.Data.Backlog;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;

namespace AgentOrchestration.Cli.Output;

// The JSON the tool prints (--json) and the MCP tools return. Property names become snake_case and are a contract:
// docs/cli.md lists them; add fields, never rename or remove one.

internal sealed record ProjectView(Guid Id, string Key, string Name)
{
    public static ProjectView Of(Project p) => new(p.Id, p.Key, p.Name);
}

internal sealed record CapabilityView(string Name, int Proficiency);

internal sealed record AgentView(Guid Id, string Slug, string Name, string Type, string Mode, string Status, int MaxConcurrentTasks, IReadOnlyList<CapabilityView> Capabilities)
{
    public static AgentView Of(AgentProfile a) => new(a.Id, a.Slug, a.Name, a.Type, a.Mode, Names.Of(a.Status), a.MaxConcurrentTasks,
        [.. (a.CapabilityRecords.Count > 0
            ? a.CapabilityRecords.Select(c => new CapabilityView(c.Capability, c.Proficiency))
            : (a.Capabilities ?? []).Select(c => new CapabilityView(c.Name, c.Proficiency))).OrderBy(c => c.Name, StringComparer.Ordinal)]);
}

internal sealed record WorkView(
    Guid Id, Guid ProjectId, string Type, string Title, string Status, string DelegationStatus, int Priority, Guid? ParentId,
    Guid? AssignedAgentId, string? AssignedAgentSession, string QaStatus, IReadOnlyList<string> RequiredCapabilities, decimal? EstimatedHours,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static WorkView Of(WorkItem w) => new(w.Id, w.ProjectId, Names.Of(w.Type), w.Title, Names.Of(w.Status), Names.Of(w.DelegationStatus), w.Priority, w.ParentId,
        w.AssignedAgentId, w.AssignedAgentSession, Names.Of(w.QaStatus), w.RequiredCapabilities ?? [], w.EstimatedHours, w.CreatedAt, w.UpdatedAt);
}

internal sealed record WorkDetailView(WorkView WorkItem, IReadOnlyList<Guid> DependsOn);

internal sealed record DependencyView(Guid Id, string Title, string Status);

internal sealed record DependenciesView(Guid WorkItemId, IReadOnlyList<DependencyView> DependsOn, IReadOnlyList<DependencyView> Dependents);

internal sealed record LeaseView(string Lease, Guid WorkItemId, Guid AssignmentId, long FencingToken, Guid ProjectId, string Title, int Priority, DateTimeOffset LeaseExpiresAt)
{
    public static LeaseView Of(ClaimedWork c) => new(Names.Lease(c.Lease), c.Lease.WorkItemId, c.Lease.AssignmentId, c.Lease.FencingToken, c.ProjectId, c.Title, c.Priority, c.LeaseExpiresAt);
}

internal sealed record ClaimView(IReadOnlyList<LeaseView> Claimed);

internal sealed record CompletedView(Guid WorkItemId, string Status, string QaStatus);

internal sealed record ReleasedView(Guid WorkItemId, string Status, string DelegationStatus);

internal sealed record SessionView(string SessionId, Guid ProjectId, Guid? AgentId, string AgentType, string Status, string OversightLevel, string? CurrentAction, DateTimeOffset StartedAt, DateTimeOffset? LastHeartbeatAt, DateTimeOffset? EndedAt)
{
    public static SessionView Of(AgentSession s) => new(s.SessionId, s.ProjectId, s.AgentId, Names.Of(s.AgentType), Names.Of(s.Status), Names.Of(s.OversightLevel), s.CurrentAction, s.StartTime, s.LastHeartbeatAt, s.EndTime);
}

internal sealed record LockView(string Path, string LockType, string SessionId, Guid? AgentId, DateTimeOffset AcquiredAt, DateTimeOffset? ExpiresAt)
{
    public static LockView Of(FileLockInfo l) => new(l.Path, Names.Of(l.LockType), l.SessionId, l.AgentId, l.AcquiredAt, l.ExpiresAt);
}

internal sealed record LocksView(string? SessionId, IReadOnlyList<LockView> Locks);

internal sealed record ConflictView(string RequestedPath, string HeldPath, string HeldType, string HolderSessionId, Guid? HolderAgentId, DateTimeOffset? ExpiresAt, string Reason)
{
    public static ConflictView Of(FileLockConflict c) => new(c.RequestedPath, c.HeldPath, Names.Of(c.HeldType), c.HolderSessionId, c.HolderAgentId, c.ExpiresAt, Refusal.Describe(c));
}

internal sealed record CheckPathView(string Path, bool Writable, bool HeldExclusively, IReadOnlyList<ConflictView> Blocking);

internal sealed record CheckView(string? SessionId, bool Writable, IReadOnlyList<CheckPathView> Paths);

internal sealed record QaResultView(Guid Id, Guid TaskId, string SessionId, string QaType, string Status, bool SuccessCriteriaMet, string? RemediationNeeded, DateTimeOffset RecordedAt)
{
    public static QaResultView Of(QaResult r) => new(r.Id, r.TaskId, r.AgentSessionId, Names.Of(r.QaType), Names.Of(r.Status), r.SuccessCriteriaMet, r.RemediationNeeded, r.RecordedAt);
}

internal sealed record BacklogView(Guid Id, Guid ProjectId, string Title, string Status, int Priority, int BusinessValue, string Complexity, int RiskScore, string? AssignedToAgent, DateTimeOffset SubmittedAt)
{
    public static BacklogView Of(BacklogItem b) => new(b.Id, b.ProjectId, b.Title, Names.Of(b.Status), b.Priority, b.BusinessValue, Names.Of(b.EstimatedComplexity), b.RiskScore, b.AssignedToAgent, b.SubmittedAt);
}

internal sealed record PromotedView(BacklogView BacklogItem, WorkView Story);

internal sealed record EventView(long Sequence, string Type, string EntityType, Guid? EntityId, string? Actor, Guid? ProjectId, DateTimeOffset OccurredAt, EventPayload? Payload)
{
    public static EventView Of(OrchestrationEvent e) => new(e.Sequence, e.Type, e.EntityType, e.EntityId, e.Actor, e.ProjectId, e.OccurredAt, e.Payload);
}

internal sealed record EventsView(IReadOnlyList<EventView> Events, long NextAfter);

internal sealed record InitView(string Provider, string Database, string Source, string? ConfigFile, bool ConfigWritten, ProjectView Project, bool ProjectCreated, IReadOnlyList<string> MigrationsApplied);

internal sealed record ErrorView(ErrorDetail Error);

internal sealed record ErrorDetail(string Kind, int ExitCode, string Message);
