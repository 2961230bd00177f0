using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Dashboards;

/// <summary>An active or paused session of a project, with what it is doing, how long it has been silent and the locks it holds.</summary>
/// <param name="Id">The session row's identifier.</param>
/// <param name="SessionId">The session key.</param>
/// <param name="Status">Active or paused.</param>
/// <param name="AgentType">The agent's role in the session.</param>
/// <param name="AgentId">The agent profile running the session, if known.</param>
/// <param name="AgentSlug">That agent's slug, if known.</param>
/// <param name="TaskId">The task the session works on, if any.</param>
/// <param name="CurrentAction">What the agent last said it is doing.</param>
/// <param name="StartTime">When the session started (UTC).</param>
/// <param name="LastHeartbeatAt">When the session last sent a heartbeat (UTC), if ever.</param>
/// <param name="HeartbeatAge">How long ago the last heartbeat (or, without one, the start) was, by the registered clock; never negative.</param>
/// <param name="Locks">The unexpired file locks the session holds, by path.</param>
public sealed record LiveSession(
    Guid Id,
    string SessionId,
    SessionStatus Status,
    SessionAgentType AgentType,
    Guid? AgentId,
    string? AgentSlug,
    Guid? TaskId,
    string? CurrentAction,
    DateTimeOffset StartTime,
    DateTimeOffset? LastHeartbeatAt,
    TimeSpan HeartbeatAge,
    IReadOnlyList<HeldLock> Locks);
