using System.Security.Cryptography;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Storage;
using AgentOrchestration.Data.Validation;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Sessions;

/// <summary>
/// The default <see cref="ISessionService"/>. Every write runs in a transaction serialized on the session
/// (<c>session:{key}</c>, the scope the reaper takes too) and locks the session's row before reading it.
/// </summary>
internal sealed class SessionService(OrchestrationContext orchestration, WriteTransactions writes, OrchestrationClock clock, IFileLockService fileLocks) : ISessionService
{
    private static readonly string[] FromActive = ["paused", "completed", "failed", "halted"];
    private static readonly string[] FromPaused = ["active", "completed", "failed", "halted"];

    private readonly DbContext db = orchestration.Context;

    public async Task<AgentSession> StartAsync(SessionStart start, CancellationToken cancellationToken = default)
    {
        SessionValidation.Start(start);
        var sessionId = start.SessionId ?? NewSessionId(start.AgentType);

        return await writes.RunAsync("session.start", LockScope.NewSession(sessionId), async ct =>
        {
            await ValidateReferencesAsync(sessionId, start, ct).ConfigureAwait(false);
            if (await db.Set<AgentSession>().AnyAsync(s => s.SessionId == sessionId, ct).ConfigureAwait(false))
            {
                throw new DuplicateValueException("session", "session_id", sessionId);
            }

            var now = await clock.DecideAsync(db, ct).ConfigureAwait(false);
            var session = new AgentSession
            {
                Id = UuidV7.NewGuid(),
                SessionId = sessionId,
                ProjectId = start.ProjectId,
                AgentId = start.AgentId,
                ParentStoryId = start.ParentStoryId,
                BacklogId = start.BacklogId,
                TaskId = start.TaskId,
                AgentType = start.AgentType,
                Status = SessionStatus.Active,
                CurrentAction = start.CurrentAction,
                StartTime = now,
                LastHeartbeatAt = now,
                RiskLevel = start.RiskLevel,
                OversightLevel = start.OversightLevel,
            };
            db.Add(session);
            Events.Append(db, now, OrchestrationEventTypes.SessionStarted, session.ProjectId, SessionWork.SessionEntity, session.Id, sessionId,
                new EventPayload { To = "active", AgentId = session.AgentId, SessionId = sessionId, WorkItemId = session.TaskId });
            return session;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<AgentSession> HeartbeatAsync(string sessionId, string? currentAction = null, TimeSpan? leaseDuration = null, CancellationToken cancellationToken = default)
    {
        SessionValidation.Heartbeat(sessionId, currentAction, leaseDuration);
        var duration = leaseDuration ?? new ClaimOptions().LeaseDuration;

        // A second heartbeat only records the same liveness again.
        Faults.FaultAttempt.MarkIdempotent();
        if (await TryFastHeartbeatAsync(sessionId, currentAction, duration, cancellationToken).ConfigureAwait(false) is { } beat)
        {
            return beat;
        }

        return await ChangeAsync(sessionId, "heartbeat", async (session, now) =>
        {
            if (!SessionWork.IsLive(session.Status))
            {
                throw Refused(session, "heartbeat");
            }

            session.LastHeartbeatAt = now;
            // A heartbeat alone is liveness (last_heartbeat_at), not news: only a new current action reaches the event
            // log, so dashboards follow what agents do without a flood of heartbeats.
            if (currentAction is not null && currentAction != session.CurrentAction)
            {
                session.CurrentAction = currentAction;
                Events.Append(db, now, OrchestrationEventTypes.SessionActionChanged, session.ProjectId, SessionWork.SessionEntity, session.Id, session.SessionId, new EventPayload
                {
                    SessionId = session.SessionId,
                    AgentId = session.AgentId,
                    Data = [new MetadataEntry { Key = "action", Value = currentAction }],
                });
            }

            // Conditional, single-statement renewals: an assignment completed, released, reclaimed or expired meanwhile
            // is not touched, and a longer lease is never shortened.
            var owned = await SessionWork.OwnedAsync(db, session, cancellationToken).ConfigureAwait(false);
            if (owned.Count > 0)
            {
                var ids = owned.Select(o => o.AssignmentId).ToList();
                var expires = now + duration;
                await db.Set<TaskAssignment>()
                    .Where(a => ids.Contains(a.Id)
                        && (a.Status == AssignmentStatus.Assigned || a.Status == AssignmentStatus.Started || a.Status == AssignmentStatus.Paused)
                        && a.LeaseExpiresAt != null && a.LeaseExpiresAt > now && a.LeaseExpiresAt < expires)
                    .ExecuteUpdateAsync(u => u.SetProperty(a => a.LeaseExpiresAt, (DateTimeOffset?)expires).SetProperty(a => a.UpdatedAt, now), cancellationToken)
                    .ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task<AgentSession> PauseAsync(string sessionId, string? reason = null, CancellationToken cancellationToken = default)
    {
        SessionValidation.Change(sessionId, reason);
        return ChangeAsync(sessionId, "paused", (session, now) =>
        {
            if (session.Status != SessionStatus.Active)
            {
                throw Refused(session, "paused");
            }

            Transition(session, SessionStatus.Paused, now, OrchestrationEventTypes.SessionPaused, reason);
            return Task.CompletedTask;
        }, cancellationToken);
    }

    public Task<AgentSession> ResumeAsync(string sessionId, string? reason = null, CancellationToken cancellationToken = default)
    {
        SessionValidation.Change(sessionId, reason);
        return ChangeAsync(sessionId, "active", (session, now) =>
        {
            if (session.Status != SessionStatus.Paused)
            {
                throw Refused(session, "active");
            }

            session.LastHeartbeatAt = now;
            Transition(session, SessionStatus.Active, now, OrchestrationEventTypes.SessionResumed, reason);
            return Task.CompletedTask;
        }, cancellationToken);
    }

    public Task<AgentSession> EndAsync(string sessionId, SessionStatus outcome, string? reason = null, CancellationToken cancellationToken = default)
    {
        SessionValidation.End(sessionId, outcome, reason);
        var to = StoredEnum.ToStore(outcome);
        return ChangeAsync(sessionId, to, async (session, now) =>
        {
            if (!SessionWork.IsLive(session.Status))
            {
                throw Refused(session, to);
            }

            var note = reason ?? $"session {to}";
            if (outcome != SessionStatus.Completed)
            {
                await SessionWork.RequeueAsync(db, session, now, now, session.SessionId, note, cancellationToken).ConfigureAwait(false);
            }

            await SessionWork.ReleaseLocksAsync(fileLocks, session, cancellationToken).ConfigureAwait(false);
            session.EndTime = now;
            Transition(session, outcome, now, outcome switch
            {
                SessionStatus.Completed => OrchestrationEventTypes.SessionCompleted,
                SessionStatus.Failed => OrchestrationEventTypes.SessionFailed,
                _ => OrchestrationEventTypes.SessionHalted,
            }, reason);
        }, cancellationToken);
    }

    public async Task<AgentSession?> GetAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        SessionIds.ValidLookup(sessionId, nameof(sessionId));
        return await db.Set<AgentSession>().AsNoTracking().SingleOrDefaultAsync(s => s.SessionId == sessionId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The provider's one-round-trip heartbeat of a live session, only outside a caller's transaction (inside one, writes
    /// join it under a savepoint). <see langword="null"/> when it wrote nothing: the general path then decides and refuses precisely.
    /// </summary>
    private async Task<AgentSession?> TryFastHeartbeatAsync(string sessionId, string? currentAction, TimeSpan duration, CancellationToken cancellationToken)
    {
        var provider = OrchestrationProviders.For(db);
        if (db.Database.CurrentTransaction is not null || !provider.HasOneStatementLeases)
        {
            return null;
        }

        SessionIds.ValidLookup(sessionId, nameof(sessionId));
        var result = await writes.RunStatementAsync(
            "session.heartbeat",
            ct => provider.TryHeartbeatAsync(db, new HeartbeatStatement(sessionId, currentAction, duration, clock.DecidingClock(db)), ct),
            beat => beat?.Events ?? 0,
            cancellationToken).ConfigureAwait(false);
        return result?.Session;
    }

    private static InvalidStateTransitionException Refused(AgentSession session, string requested) =>
        new("session", session.SessionId, StoredEnum.ToStore(session.Status), requested, session.Status switch
        {
            SessionStatus.Active => FromActive,
            SessionStatus.Paused => FromPaused,
            _ => [],
        });

    private static string NewSessionId(SessionAgentType agentType)
    {
        Span<byte> random = stackalloc byte[6];
        RandomNumberGenerator.Fill(random);
        return $"{StoredEnum.ToStore(agentType)}-{DateTimeOffset.UtcNow:yyyyMMdd'T'HHmmss'Z'}-{Convert.ToHexStringLower(random)}";
    }

    private void Transition(AgentSession session, SessionStatus to, DateTimeOffset now, string eventType, string? reason)
    {
        var from = session.Status;
        session.Status = to;
        Events.Append(db, now, eventType, session.ProjectId, SessionWork.SessionEntity, session.Id, session.SessionId, new EventPayload
        {
            From = StoredEnum.ToStore(from),
            To = StoredEnum.ToStore(to),
            AgentId = session.AgentId,
            SessionId = session.SessionId,
            Reason = reason,
        });
    }

    private async Task<AgentSession> ChangeAsync(string sessionId, string requested, Func<AgentSession, DateTimeOffset, Task> change, CancellationToken cancellationToken)
    {
        SessionIds.ValidLookup(sessionId, nameof(sessionId));
        return await writes.RunAsync("session." + requested, LockScope.Session(sessionId), async ct =>
        {
            var session = await SessionWork.FindLockedAsync(db, sessionId, ct).ConfigureAwait(false)
                ?? throw new EntityNotFoundException("session", sessionId);
            var now = await clock.DecideAsync(db, ct).ConfigureAwait(false);
            await change(session, now).ConfigureAwait(false);
            return session;
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task ValidateReferencesAsync(string sessionId, SessionStart start, CancellationToken cancellationToken)
    {
        if (!await db.Set<Project>().AnyAsync(p => p.Id == start.ProjectId, cancellationToken).ConfigureAwait(false))
        {
            throw new EntityNotFoundException("project", start.ProjectId);
        }

        if (start.AgentId is { } agentId)
        {
            var agent = await db.Set<AgentProfile>().AsNoTracking().Where(a => a.Id == agentId)
                .Select(a => new { a.Slug, a.Status }).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new EntityNotFoundException("agent", agentId);
            if (agent.Status != AgentStatus.Active)
            {
                throw new InvalidStateTransitionException("agent", agent.Slug, StoredEnum.ToStore(agent.Status), "start a session", ["active agents start sessions"]);
            }
        }

        var subject = $"session '{sessionId}'";
        await ValidateWorkItemAsync(subject, start.ProjectId, start.ParentStoryId, "story", nameof(SessionStart.ParentStoryId), [WorkItemType.Story], cancellationToken).ConfigureAwait(false);
        await ValidateWorkItemAsync(subject, start.ProjectId, start.TaskId, "task", nameof(SessionStart.TaskId), [WorkItemType.Task, WorkItemType.Bug], cancellationToken).ConfigureAwait(false);
        if (start.BacklogId is { } backlogId)
        {
            var project = await db.Set<BacklogItem>().Where(b => b.Id == backlogId).Select(b => (Guid?)b.ProjectId)
                .SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new EntityNotFoundException("backlog item", backlogId);
            if (project != start.ProjectId)
            {
                throw new ProjectIsolationException(subject, start.ProjectId, project);
            }
        }
    }

    private async Task ValidateWorkItemAsync(string subject, Guid projectId, Guid? id, string kind, string field, WorkItemType[] allowed, CancellationToken cancellationToken)
    {
        if (id is not { } workItemId)
        {
            return;
        }

        var item = await db.Set<WorkItem>().AsNoTracking().Where(w => w.Id == workItemId).Select(w => new { w.ProjectId, w.Type })
            .SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new EntityNotFoundException(kind, workItemId);
        if (item.ProjectId != projectId)
        {
            throw new ProjectIsolationException(subject, projectId, item.ProjectId);
        }

        if (!allowed.Contains(item.Type))
        {
            throw new ArgumentException(
                $"start.{field} '{workItemId}' is a {StoredEnum.ToStore(item.Type)}; {field} must name a {string.Join(" or ", allowed.Select(StoredEnum.ToStore))} of the session's project.", "start." + field);
        }
    }
}
