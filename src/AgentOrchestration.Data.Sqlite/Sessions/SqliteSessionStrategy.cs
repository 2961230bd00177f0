using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Sqlite.Storage;
using AgentOrchestration.Data.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using static AgentOrchestration.Data.Sqlite.Claims.SqliteStatements;

namespace AgentOrchestration.Data.Sqlite.Sessions;

/// <summary>
/// A SQLite heartbeat: one write transaction (<c>BEGIN IMMEDIATE</c>, so no other writer runs in between, which is what
/// the general path's session scope and row locks give it) of at most three plain statements: the
/// <c>session.action_changed</c> event when the action changes (only with an action), the heartbeat itself, and the
/// renewal of the leases the session owns (only for a session with an agent). For a session that is not live it
/// writes nothing, and the general path refuses with the precise exception.
/// </summary>
internal static class SqliteSessionStrategy
{
    /// <summary>What a payload's text starts with, before its agent's JSON value.</summary>
    private const string AgentHead = "{\"agent_id\":";

    private static readonly ConditionalWeakTable<IModel, HeartbeatSql> SqlByModel = [];

    public static async Task<HeartbeatResult?> TryHeartbeatAsync(DbContext db, IOrchestrationProvider provider, HeartbeatStatement request, CancellationToken cancellationToken)
    {
        var sql = For(SqlByModel, db, n => new HeartbeatSql(n));
        await using var transaction = await BeginStatementsAsync(provider, db, LockScope.Session(request.SessionId).Name, cancellationToken).ConfigureAwait(false);

        // Read once the write lock is held, as the general path reads it: the heartbeat and every expiry it judges are by this one reading.
        var now = (request.Clock ?? throw new InvalidOperationException("A SQLite heartbeat decides by the calling machine's clock.")).GetUtcNow();
        var at = At(now);
        var events = 0;
        if (request.CurrentAction is { } action)
        {
            // Before the heartbeat writes the action: the event is news only when the stored action differs.
            events = await Command(db, sql.ActionChanged)
                .With("@session", request.SessionId).With("@now", at).With("@action", action)
                .With("@payload_tail", StoredJson.PayloadAfterAgent(request.SessionId, null, ("action", action)))
                .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        AgentSession session;
        var beat = Command(db, sql.Heartbeat).With("@session", request.SessionId).With("@now", at).With("@action", request.CurrentAction);
        {
            await using var reader = await beat.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // Not live (or gone): the rollback (on dispose) undoes the event, and the general path refuses.
                return null;
            }

            session = new AgentSession
            {
                Id = reader.GetGuid(0),
                SessionId = reader.GetString(1),
                ProjectId = reader.GetGuid(2),
                AgentId = reader.IsDBNull(3) ? null : reader.GetGuid(3),
                ParentStoryId = reader.IsDBNull(4) ? null : reader.GetGuid(4),
                BacklogId = reader.IsDBNull(5) ? null : reader.GetGuid(5),
                TaskId = reader.IsDBNull(6) ? null : reader.GetGuid(6),
                AgentType = StoredEnum.FromStore<SessionAgentType>(reader.GetString(7)),
                Status = StoredEnum.FromStore<SessionStatus>(reader.GetString(8)),
                CurrentAction = reader.IsDBNull(9) ? null : reader.GetString(9),
                FileLocks = StoredJson.ReadLockList(reader.IsDBNull(10) ? null : reader.GetString(10)),
                StartTime = StoredJson.Time(reader.GetString(11)),
                EndTime = reader.IsDBNull(12) ? null : StoredJson.Time(reader.GetString(12)),

                // The general path returns the time it decided by, as read from the clock.
                LastHeartbeatAt = now,
                RiskLevel = reader.GetInt32(13),
                OversightLevel = StoredEnum.FromStore<OversightLevel>(reader.GetString(14)),
            };
        }

        if (session.AgentId is { } agentId)
        {
            await Command(db, sql.RenewOwned)
                .With("@session", request.SessionId).With("@project", Id(session.ProjectId)).With("@agent", Id(agentId))
                .With("@now", at).With("@expires", At(now + request.LeaseDuration))
                .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new HeartbeatResult(session, events);
    }

    /// <summary>The heartbeat's statements, built once per model from its store names.</summary>
    private sealed class HeartbeatSql
    {
        public HeartbeatSql(StoreNames n)
        {
            var sessions = n.Table<AgentSession>();
            string S(string property) => n.Column<AgentSession>(property);
            string W(string property) => n.Column<WorkItem>(property);
            string T(string property) => n.Column<TaskAssignment>(property);
            string E(string property) => n.Column<OrchestrationEvent>(property);
            var live = $"('{StoredEnum.ToStore(SessionStatus.Active)}', '{StoredEnum.ToStore(SessionStatus.Paused)}')";
            var active = "(" + string.Join(", ", Data.Claims.ReadyWorkRule.ActiveAssignments.Select(s => $"'{StoredEnum.ToStore(s)}'")) + ")";

            // The payload is EF Core's text (StoredJson) with the session's agent, stored as EF Core writes a Guid, put in front.
            ActionChanged = $"""
                INSERT INTO {n.Table<OrchestrationEvent>()} ({E("OccurredAt")}, {E("Type")}, {E("ProjectId")}, {E("EntityType")}, {E("EntityId")}, {E("Actor")}, {n.ComplexColumn<OrchestrationEvent>(nameof(OrchestrationEvent.Payload))})
                SELECT @now, '{OrchestrationEventTypes.SessionActionChanged}', s.{S("ProjectId")}, '{SessionWork.SessionEntity}', s.{S("Id")}, s.{S("SessionId")},
                       '{AgentHead}' || CASE WHEN s.{S("AgentId")} IS NULL THEN 'null' ELSE '"' || upper(s.{S("AgentId")}) || '"' END || @payload_tail
                FROM {sessions} s
                WHERE s.{S("SessionId")} = @session AND s.{S("Status")} IN {live} AND s.{S("CurrentAction")} IS NOT @action
                """;

            Heartbeat = $"""
                UPDATE {sessions} SET {S("LastHeartbeatAt")} = @now, {S("CurrentAction")} = coalesce(@action, {S("CurrentAction")})
                WHERE {S("SessionId")} = @session AND {S("Status")} IN {live}
                RETURNING {S("Id")}, {S("SessionId")}, {S("ProjectId")}, {S("AgentId")}, {S("ParentStoryId")}, {S("BacklogId")}, {S("TaskId")},
                    {S("AgentType")}, {S("Status")}, {S("CurrentAction")}, {n.ComplexColumn<AgentSession>(nameof(AgentSession.FileLocks))},
                    {S("StartTime")}, {S("EndTime")}, {S("RiskLevel")}, {S("OversightLevel")}
                """;

            // SessionWork.OwnedAsync: the current, active, leased assignment of the session's agent in its project, on an
            // item naming the session, or on any item of the agent when the agent has no other live session there; then
            // the general path's conditional renewal (an assignment ended or expired is not touched, a longer lease never
            // shortened). The agent's active assignments lead (ix_task_assignments_agent_status), each item by its key.
            RenewOwned = $"""
                UPDATE {n.Table<TaskAssignment>()} SET {T("LeaseExpiresAt")} = @expires, {T("UpdatedAt")} = @now
                WHERE {T("Id")} IN (
                    SELECT a.{T("Id")}
                    FROM {n.Table<TaskAssignment>()} a CROSS JOIN {n.Table<WorkItem>()} w ON w.{W("CurrentAssignmentId")} = a.{T("Id")}
                    WHERE a.{T("AgentId")} = @agent AND a.{T("Status")} IN {active} AND a.{T("LeaseExpiresAt")} IS NOT NULL
                      AND w.{W("ProjectId")} = @project
                      AND (w.{W("AssignedAgentSession")} = @session OR NOT EXISTS (
                          SELECT 1 FROM {sessions} o
                          WHERE o.{S("ProjectId")} = @project AND o.{S("AgentId")} = @agent AND o.{S("SessionId")} <> @session AND o.{S("Status")} IN {live})))
                  AND {T("Status")} IN {active} AND {T("LeaseExpiresAt")} IS NOT NULL AND {T("LeaseExpiresAt")} > @now AND {T("LeaseExpiresAt")} < @expires
                """;
        }

        public string ActionChanged { get; }

        public string Heartbeat { get; }

        public string RenewOwned { get; }
    }
}
