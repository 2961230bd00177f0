using System.Runtime.CompilerServices;
using System.Text.Json;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.PostgreSql.Locking;
using AgentOrchestration.Data.PostgreSql.Storage;
using AgentOrchestration.Data.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using NpgsqlTypes;

namespace AgentOrchestration.Data.PostgreSql.Sessions;

/// <summary>
/// A heartbeat in one round trip: a batch, in one implicit transaction, that takes the general path's locks in its order
/// (the session's scope, its row, its agent's row: <c>LockScope.Session</c> and <c>SessionWork.OwnedAsync</c>) and then,
/// in a statement whose snapshot is taken once they are held, does what the general path does for a live session:
/// records the heartbeat, the new current action with its <c>session.action_changed</c> event, and renews the leases the
/// session owns (never shortening one). For a session that is not live it writes nothing, and the general path refuses
/// with the precise exception.
/// </summary>
internal static class PostgreSqlSessionStrategy
{
    private static readonly ConditionalWeakTable<IModel, HeartbeatSql> SqlByModel = [];

    private static readonly string[] Active = [StoredEnum.ToStore(AssignmentStatus.Assigned), StoredEnum.ToStore(AssignmentStatus.Started), StoredEnum.ToStore(AssignmentStatus.Paused)];

    public static async Task<HeartbeatResult?> TryHeartbeatAsync(DbContext db, HeartbeatStatement request, CancellationToken cancellationToken)
    {
        var sql = SqlByModel.GetValue(db.Model, _ => new HeartbeatSql(new HeartbeatStatementSql(new StoreNames(db))));
        var scope = new NpgsqlBatchCommand(sql.ScopeLock);
        scope.Parameters.Add(new NpgsqlParameter("key", NpgsqlDbType.Bigint) { Value = PostgreSqlLocks.AdvisoryKey(LockScope.Session(request.SessionId).Name) });
        var row = new NpgsqlBatchCommand(sql.RowLock);
        row.Parameters.Add(Session(request.SessionId));
        var agent = new NpgsqlBatchCommand(sql.AgentLock);
        agent.Parameters.Add(Session(request.SessionId));

        // As the general path computes them: now by the explicit clock as read (stored to the microsecond), the new
        // expiry from it; by the server's clock, both in the statement.
        var now = request.Clock?.GetUtcNow();
        var write = new NpgsqlBatchCommand(sql.Heartbeat);
        write.Parameters.Add(Session(request.SessionId));
        write.Parameters.Add(new NpgsqlParameter("now", NpgsqlDbType.TimestampTz) { Value = now is { } n ? UtcTimestampConverter.ToStore(n) : DBNull.Value });
        write.Parameters.Add(new NpgsqlParameter("expires", NpgsqlDbType.TimestampTz) { Value = now is { } m ? UtcTimestampConverter.ToStore(m + request.LeaseDuration) : DBNull.Value });
        write.Parameters.Add(new NpgsqlParameter("duration_us", NpgsqlDbType.Bigint) { Value = request.LeaseDuration.Ticks / TimeSpan.TicksPerMicrosecond });
        write.Parameters.Add(new NpgsqlParameter("action", NpgsqlDbType.Text) { Value = (object?)request.CurrentAction ?? DBNull.Value });
        write.Parameters.Add(new NpgsqlParameter("active", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = Active });

        return await OneTripBatch.RunAsync(db, [scope, row, agent, write], async (reader, ct) =>
        {
            if (!await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                return null;
            }

            var session = new AgentSession
            {
                Id = reader.GetGuid(0),
                SessionId = reader.GetString(1),
                ProjectId = reader.GetGuid(2),
                AgentId = Nullable(reader, 3, reader.GetGuid),
                ParentStoryId = Nullable(reader, 4, reader.GetGuid),
                BacklogId = Nullable(reader, 5, reader.GetGuid),
                TaskId = Nullable(reader, 6, reader.GetGuid),
                AgentType = StoredEnum.FromStore<SessionAgentType>(reader.GetString(7)),
                Status = StoredEnum.FromStore<SessionStatus>(reader.GetString(8)),
                CurrentAction = reader.IsDBNull(9) ? null : reader.GetString(9),
                FileLocks = reader.IsDBNull(10) ? null : ReadLocks(reader.GetString(10)),
                StartTime = UtcTimestampConverter.FromStore(reader.GetDateTime(11)),
                EndTime = Nullable(reader, 12, i => UtcTimestampConverter.FromStore(reader.GetDateTime(i))),

                // The general path returns the time it decided by, as read from the explicit clock.
                LastHeartbeatAt = now ?? UtcTimestampConverter.FromStore(reader.GetDateTime(13)),
                RiskLevel = reader.GetInt32(14),
                OversightLevel = StoredEnum.FromStore<OversightLevel>(reader.GetString(15)),
            };
            return new HeartbeatResult(session, reader.GetBoolean(16) ? 1 : 0);
        }, cancellationToken).ConfigureAwait(false);
    }

    private static T? Nullable<T>(NpgsqlDataReader reader, int ordinal, Func<int, T> get)
        where T : struct => reader.IsDBNull(ordinal) ? null : get(ordinal);

    private static NpgsqlParameter Session(string sessionId) => new("session", NpgsqlDbType.Varchar) { Value = sessionId };

    /// <summary>Reads <c>agent_sessions.file_locks</c> as EF does: snake_case names, stored enum names, UTC times.</summary>
    private static List<SessionFileLock> ReadLocks(string json)
    {
        using var document = JsonDocument.Parse(json);
        var locks = new List<SessionFileLock>();
        foreach (var element in document.RootElement.EnumerateArray())
        {
            locks.Add(new SessionFileLock
            {
                Path = element.GetProperty("path").GetString()!,
                LockType = StoredEnum.FromStore<FileLockType>(element.GetProperty("lock_type").GetString()!),
                ExpiresAt = element.TryGetProperty("expires_at", out var at) && at.ValueKind != JsonValueKind.Null
                    ? UtcTimestampConverter.FromStore(at.GetDateTime().ToUniversalTime())
                    : null,
            });
        }

        return locks;
    }

    private sealed class HeartbeatSql(HeartbeatStatementSql statement)
    {
        public string ScopeLock { get; } = "SELECT pg_advisory_xact_lock(@key)";

        public string RowLock { get; } = statement.RowLock();

        public string AgentLock { get; } = statement.AgentLock();

        public string Heartbeat { get; } = statement.Heartbeat();
    }

    /// <summary>The statements, built from the model's store names.</summary>
    private sealed class HeartbeatStatementSql(StoreNames n)
    {
        private const string Now = "(SELECT at FROM clock)";

        private static readonly string Live = $"('{StoredEnum.ToStore(SessionStatus.Active)}', '{StoredEnum.ToStore(SessionStatus.Paused)}')";

        private string Sessions => n.Table<AgentSession>();

        private string Payload => n.ComplexColumn<OrchestrationEvent>(nameof(OrchestrationEvent.Payload));

        private string EventColumns => $"{n.Table<OrchestrationEvent>()} ({E("OccurredAt")}, {E("Type")}, {E("ProjectId")}, {E("EntityType")}, {E("EntityId")}, {E("Actor")}, {Payload})";

        public string RowLock() => $"SELECT 1 FROM {Sessions} WHERE {S("SessionId")} = @session FOR NO KEY UPDATE";

        // SessionWork.OwnedAsync locks the agent's row of a live session before reading its work.
        public string AgentLock() => $"""
            SELECT 1 FROM {n.Table<AgentProfile>()} a
            WHERE a.{A("Id")} = (SELECT s.{S("AgentId")} FROM {Sessions} s WHERE s.{S("SessionId")} = @session AND s.{S("Status")} IN {Live})
            FOR NO KEY UPDATE
            """;

        public string Heartbeat() => $"""
            WITH clock AS MATERIALIZED (
                SELECT coalesce(@now, clock_timestamp()) AS at
            ), live AS MATERIALIZED (
                SELECT s.{S("Id")} AS id, s.{S("ProjectId")} AS project_id, s.{S("AgentId")} AS agent_id, s.{S("CurrentAction")} AS current_action
                FROM {Sessions} s WHERE s.{S("SessionId")} = @session AND s.{S("Status")} IN {Live}
            ), beat AS (
                UPDATE {Sessions} s SET {S("LastHeartbeatAt")} = {Now}, {S("CurrentAction")} = coalesce(@action, s.{S("CurrentAction")})
                FROM live l WHERE s.{S("Id")} = l.id
                RETURNING s.{S("Id")}, s.{S("SessionId")}, s.{S("ProjectId")}, s.{S("AgentId")}, s.{S("ParentStoryId")}, s.{S("BacklogId")}, s.{S("TaskId")},
                    s.{S("AgentType")}, s.{S("Status")}, s.{S("CurrentAction")}, s.{n.ComplexColumn<AgentSession>(nameof(AgentSession.FileLocks))}::text,
                    s.{S("StartTime")}, s.{S("EndTime")}, s.{S("LastHeartbeatAt")}, s.{S("RiskLevel")}, s.{S("OversightLevel")},
                    @action IS NOT NULL AND @action IS DISTINCT FROM l.current_action AS action_changed
            ), action_event AS (
                INSERT INTO {EventColumns}
                SELECT {Now}, '{OrchestrationEventTypes.SessionActionChanged}', l.project_id, '{SessionEntity}', l.id, @session,
                    jsonb_build_object('from', NULL, 'to', NULL, 'agent_id', l.agent_id, 'session_id', @session, 'work_item_id', NULL, 'reason', NULL,
                        'data', jsonb_build_array(jsonb_build_object('key', 'action', 'value', @action)))
                FROM live l WHERE @action IS NOT NULL AND @action IS DISTINCT FROM l.current_action
            ), owned AS (
                -- SessionWork.OwnedAsync: the current, active, leased assignment of the session's agent in its project, on an
                -- item naming the session, or on any item of the agent when the agent has no other live session there.
                SELECT w.{W("CurrentAssignmentId")} AS assignment_id
                FROM live l
                JOIN {n.Table<WorkItem>()} w ON w.{W("ProjectId")} = l.project_id AND w.{W("CurrentAssignmentId")} IS NOT NULL
                JOIN {n.Table<TaskAssignment>()} a ON a.{T("Id")} = w.{W("CurrentAssignmentId")}
                WHERE a.{T("AgentId")} = l.agent_id AND a.{T("Status")} = ANY(@active) AND a.{T("LeaseExpiresAt")} IS NOT NULL
                  AND (w.{W("AssignedAgentSession")} = @session OR NOT EXISTS (
                      SELECT 1 FROM {Sessions} o
                      WHERE o.{S("ProjectId")} = l.project_id AND o.{S("AgentId")} = l.agent_id AND o.{S("SessionId")} <> @session AND o.{S("Status")} IN {Live}))
            ), expiry AS MATERIALIZED (
                SELECT coalesce(@expires, {Now} + (@duration_us * interval '1 microsecond')) AS at
            ), renewed AS (
                -- Conditional: an assignment completed, released, reclaimed or expired meanwhile is not touched, and a longer lease is never shortened.
                UPDATE {n.Table<TaskAssignment>()} t SET {T("LeaseExpiresAt")} = (SELECT at FROM expiry), {T("UpdatedAt")} = {Now}
                FROM owned o
                WHERE t.{T("Id")} = o.assignment_id AND t.{T("Status")} = ANY(@active) AND t.{T("LeaseExpiresAt")} IS NOT NULL
                  AND t.{T("LeaseExpiresAt")} > {Now} AND t.{T("LeaseExpiresAt")} < (SELECT at FROM expiry)
            )
            SELECT * FROM beat
            """;

        private const string SessionEntity = Data.Sessions.SessionWork.SessionEntity;

        private string S(string property) => n.Column<AgentSession>(property);

        private string A(string property) => n.Column<AgentProfile>(property);

        private string W(string property) => n.Column<WorkItem>(property);

        private string T(string property) => n.Column<TaskAssignment>(property);

        private string E(string property) => n.Column<OrchestrationEvent>(property);
    }
}
