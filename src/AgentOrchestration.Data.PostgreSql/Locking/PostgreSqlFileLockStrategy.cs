using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.PostgreSql.Storage;
using AgentOrchestration.Data.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using NpgsqlTypes;

namespace AgentOrchestration.Data.PostgreSql.Locking;

/// <summary>
/// File lock acquisition, release, renewal and release of all in one round trip each. A batch of three statements in one implicit transaction:
/// the project's lock scope (the advisory lock of <c>LockScope.FileLocks</c>, keyed in SQL exactly as
/// <see cref="PostgreSqlLocks.AdvisoryKey"/> keys it, from the session's project; not for a release, see
/// <see cref="TryReleaseAsync"/>), the session's row lock (as the general path's guard takes it), and the write, whose
/// snapshot is taken once both are held. The write checks everything in SQL
/// and writes only when the common case holds; otherwise it writes nothing and the general path decides exactly under
/// the same locks, except for a refused acquisition, which the same round trip names.
/// </summary>
/// <remarks>
/// Acquiring grants only when no live lock of another session in the project could overlap a requested path by the
/// prefix test of <see cref="LockPatterns.MayOverlap"/>, which never misses an overlap. When some could, the statement
/// returns them instead (for an active session), and the pattern matcher judges them exactly here: any that overlaps
/// makes the refusal the general path would make (<see cref="FileLockService.Refusal"/>: it checks conflicts before it
/// purges or refreshes anything, and writes nothing when it refuses); none that does leaves the decision to the general
/// path. Sessions whose list (<c>agent_sessions.file_locks</c>, sorted
/// by ordinal path) would hold a character at or above U+E000 also take the general path: there the UTF-16 order of
/// .NET and the code point order of the database (<c>COLLATE "C"</c> on UTF-8) can differ.
/// </remarks>
internal static class PostgreSqlFileLockStrategy
{
    private static readonly ConditionalWeakTable<IModel, LockSql> SqlByModel = [];

    public static async Task<FileLockGrant?> TryAcquireAsync(DbContext db, FileLockAcquisition request, CancellationToken cancellationToken)
    {
        if (!request.Paths.All(OrdersAlike))
        {
            return null;
        }

        var sql = SqlByModel.GetValue(db.Model, _ => new LockSql(new LockStatement(new StoreNames(db))));
        var write = new NpgsqlBatchCommand(sql.Acquire);
        write.Parameters.Add(Session(request.SessionId));
        write.Parameters.Add(Now(request.Clock));
        write.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = request.Ids.ToArray() });
        write.Parameters.Add(new NpgsqlParameter("paths", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = request.Paths.ToArray() });
        write.Parameters.Add(new NpgsqlParameter("prefixes", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = request.Paths.Select(LockPatterns.LiteralPrefix).ToArray() });
        write.Parameters.Add(new NpgsqlParameter("lock_type", NpgsqlDbType.Text) { Value = StoredEnum.ToStore(request.LockType) });
        AddTtl(write, request.Ttl);

        var (grant, held) = await OneTripBatch.RunAsync(db, [ScopeLock(sql, request.SessionId), RowLock(sql, request.SessionId), write], static async (reader, ct) =>
        {
            // One row of the grant, or the other sessions' locks the prefix test could not rule out, or nothing (doubt).
            var held = new List<FileLockInfo>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                if (!reader.IsDBNull(2))
                {
                    return (new FileLockGrant(reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetGuid(1), UtcTimestampConverter.FromStore(reader.GetDateTime(2))), held);
                }

                held.Add(new FileLockInfo(ReadLock(reader, 4, reader.GetString(3), null), reader.IsDBNull(1) ? null : reader.GetGuid(1)));
            }

            return ((FileLockGrant?)null, held);
        }, cancellationToken).ConfigureAwait(false);

        // Nothing was written. The general path checks conflicts before anything else, so those it would report, judged
        // exactly among the candidates (a superset of the overlapping locks), are its refusal whatever else it would do;
        // candidates of which none truly overlaps leave the decision to it.
        if (grant is null && FileLockService.Refusal(request.SessionId, request.Paths, request.LockType, held) is { } refusal)
        {
            throw refusal;
        }

        return grant;
    }

    public static async Task<FileLockReleaseResult?> TryReleaseAsync(DbContext db, FileLockRelease request, CancellationToken cancellationToken)
    {
        var sql = SqlByModel.GetValue(db.Model, _ => new LockSql(new LockStatement(new StoreNames(db))));
        var write = new NpgsqlBatchCommand(request.All ? sql.ReleaseAll : sql.Release);
        write.Parameters.Add(Session(request.SessionId));
        write.Parameters.Add(Now(request.Clock));
        if (!request.All)
        {
            write.Parameters.Add(new NpgsqlParameter("paths", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = request.Paths.ToArray() });
        }

        // Under the session's row lock only, as a release joined to a caller's transaction (ending a session) already runs:
        // every writer of the session's locks holds that lock, and deleting locks can never let two sessions overlap, so
        // releases need not queue behind the project's acquisitions. Renewal keeps the scope: extending a lock another
        // session's acquisition has just judged expired would.
        return await OneTripBatch.RunAsync(db, [RowLock(sql, request.SessionId), write], async (reader, ct) =>
        {
            if (!await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                return null;
            }

            var agentId = reader.IsDBNull(0) ? (Guid?)null : reader.GetGuid(0);
            return new FileLockReleaseResult(agentId, await ReadOwnAsync(reader, 1, request.SessionId, null, ct).ConfigureAwait(false));
        }, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<FileLockRenewalResult?> TryRenewAsync(DbContext db, FileLockRenewal request, CancellationToken cancellationToken)
    {
        var sql = SqlByModel.GetValue(db.Model, _ => new LockSql(new LockStatement(new StoreNames(db))));
        var write = new NpgsqlBatchCommand(sql.Renew);
        write.Parameters.Add(Session(request.SessionId));
        write.Parameters.Add(Now(request.Clock));
        AddTtl(write, request.Ttl);

        return await OneTripBatch.RunAsync(db, [ScopeLock(sql, request.SessionId), RowLock(sql, request.SessionId), write], async (reader, ct) =>
        {
            if (!await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                return null;
            }

            var agentId = reader.IsDBNull(0) ? (Guid?)null : reader.GetGuid(0);

            // The expiry the general path returns: now + TTL to the tick (the column keeps microseconds).
            var expires = UtcTimestampConverter.FromStore(reader.GetDateTime(1)) + request.Ttl;
            return new FileLockRenewalResult(agentId, await ReadOwnAsync(reader, 2, request.SessionId, expires, ct).ConfigureAwait(false));
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The session's locks a release or renewal returned, from the current row on (a row without a lock stands for none),
    /// in the order the general path returns them: by ordinal path.
    /// </summary>
    private static async Task<List<FileLock>> ReadOwnAsync(NpgsqlDataReader reader, int offset, string sessionId, DateTimeOffset? expiresAt, CancellationToken cancellationToken)
    {
        var locks = new List<FileLock>();
        do
        {
            if (!reader.IsDBNull(offset))
            {
                locks.Add(ReadLock(reader, offset, sessionId, expiresAt));
            }
        }
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false));

        locks.Sort(static (a, b) => string.CompareOrdinal(a.FilePath, b.FilePath));
        return locks;
    }

    /// <summary>A lock of <paramref name="lockedBy"/> from the columns id, project, path, type, acquired and expiry at <paramref name="offset"/> on (the expiry read only without <paramref name="expiresAt"/>).</summary>
    private static FileLock ReadLock(NpgsqlDataReader reader, int offset, string lockedBy, DateTimeOffset? expiresAt) => new()
    {
        Id = reader.GetGuid(offset),
        ProjectId = reader.GetGuid(offset + 1),
        FilePath = reader.GetString(offset + 2),
        LockedBySession = lockedBy,
        LockType = StoredEnum.FromStore<FileLockType>(reader.GetString(offset + 3)),
        AcquiredAt = UtcTimestampConverter.FromStore(reader.GetDateTime(offset + 4)),
        ExpiresAt = expiresAt ?? (reader.IsDBNull(offset + 5) ? null : UtcTimestampConverter.FromStore(reader.GetDateTime(offset + 5))),
    };

    /// <summary><see cref="LockPatterns.LiteralPrefix"/> in SQL: the text before the first wildcard, without a <c>/</c> that ends it.</summary>
    internal static string LiteralPrefixSql(string path) => $"regexp_replace(substring({path} from '^[^*?]*'), '/$', '')";

    /// <summary><see cref="PostgreSqlLocks.AdvisoryKey"/> of <c>LockScope.FileLocks</c> in SQL: the first 8 bytes of the SHA-256 of the scope's name.</summary>
    internal static string ScopeKeySql(string projectId)
    {
        var scope = LockScope.FileLocks(Guid.Empty).Name.Replace(Guid.Empty.ToString(), string.Empty, StringComparison.Ordinal);
        return $"('x' || left(encode(sha256(convert_to('agent-orchestration:{scope}' || {projectId}::text, 'UTF8')), 'hex'), 16))::bit(64)::bigint";
    }

    /// <summary>
    /// Whether ordering by UTF-16 code units (.NET's ordinal) and by code points (the database's <c>COLLATE "C"</c> on
    /// UTF-8) agree for this path against any other such path: it has no character at or above U+D800.
    /// </summary>
    private static bool OrdersAlike(string path) => path.AsSpan().IndexOfAnyInRange('\uD800', '\uFFFF') < 0;

    /// <summary>The TTL in whole microseconds (what the column keeps), and its last tick (what the general path's event text shows after them).</summary>
    private static void AddTtl(NpgsqlBatchCommand write, TimeSpan ttl)
    {
        write.Parameters.Add(new NpgsqlParameter("ttl_us", NpgsqlDbType.Bigint) { Value = ttl.Ticks / TimeSpan.TicksPerMicrosecond });
        write.Parameters.Add(new NpgsqlParameter("ttl_tick", NpgsqlDbType.Text) { Value = (ttl.Ticks % TimeSpan.TicksPerMicrosecond).ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    private static NpgsqlBatchCommand ScopeLock(LockSql sql, string sessionId) => new(sql.ScopeLock) { Parameters = { Session(sessionId) } };

    private static NpgsqlBatchCommand RowLock(LockSql sql, string sessionId) => new(sql.RowLock) { Parameters = { Session(sessionId) } };

    private static NpgsqlParameter Session(string sessionId) => new("session", NpgsqlDbType.Varchar) { Value = sessionId };

    // Without an explicit clock the server's decides (null here), read once the locks are held.
    private static NpgsqlParameter Now(TimeProvider? clock) =>
        new("now", NpgsqlDbType.TimestampTz) { Value = clock is { } c ? UtcTimestampConverter.ToStore(c.GetUtcNow()) : DBNull.Value };

    private sealed class LockSql(LockStatement statement)
    {
        public string ScopeLock { get; } = statement.ScopeLock();

        public string RowLock { get; } = statement.RowLock();

        public string Acquire { get; } = statement.Acquire();

        public string Release { get; } = statement.Release(all: false);

        public string ReleaseAll { get; } = statement.Release(all: true);

        public string Renew { get; } = statement.Renew();
    }

    /// <summary>The statements, built from the model's store names.</summary>
    private sealed class LockStatement(StoreNames n)
    {
        // Every time below is the statement's one reading of the clock (see the clock CTE).
        private const string Now = "(SELECT at FROM clock)";

        private static readonly string Exclusive = StoredEnum.ToStore(FileLockType.Exclusive);

        private string Locks => n.Table<FileLock>();

        private string Sessions => n.Table<AgentSession>();

        private string Payload => n.ComplexColumn<OrchestrationEvent>(nameof(OrchestrationEvent.Payload));

        private string EventColumns => $"{n.Table<OrchestrationEvent>()} ({E("OccurredAt")}, {E("Type")}, {E("ProjectId")}, {E("EntityType")}, {E("EntityId")}, {E("Actor")}, {Payload})";

        /// <summary>
        /// The advisory lock of <c>LockScope.FileLocks</c> on the session's project (a session never changes project):
        /// <see cref="PostgreSqlLocks.AdvisoryKey"/>'s key, the first 8 bytes of the SHA-256 of the scope's name, in SQL.
        /// </summary>
        public string ScopeLock() => $"""
            SELECT pg_advisory_xact_lock({ScopeKeySql($"s.{S("ProjectId")}")})
            FROM {Sessions} s WHERE s.{S("SessionId")} = @session
            """;

        /// <summary>The session's row lock, as the general path's guard takes it, after the scope.</summary>
        public string RowLock() => $"SELECT 1 FROM {Sessions} WHERE {S("SessionId")} = @session FOR NO KEY UPDATE";

        public string Acquire() => $"""
            WITH clock AS MATERIALIZED (
                SELECT coalesce(@now, clock_timestamp()) AS at
            ), session AS MATERIALIZED (
                SELECT s.{S("ProjectId")} AS project_id, s.{S("AgentId")} AS agent_id FROM {Sessions} s
                WHERE s.{S("SessionId")} = @session AND s.{S("Status")} = '{StoredEnum.ToStore(SessionStatus.Active)}'
            ), requested AS (
                SELECT * FROM unnest(@ids, @paths, @prefixes) WITH ORDINALITY AS r(id, path, prefix, ord)
            ), {Own()}, blocking AS MATERIALIZED (
                SELECT l.{L("Id")} AS id, l.{L("ProjectId")} AS project_id, l.{L("FilePath")} AS path, l.{L("LockType")} AS lock_type,
                    l.{L("AcquiredAt")} AS acquired_at, l.{L("ExpiresAt")} AS expires_at, l.{L("LockedBySession")} AS holder, h.{S("AgentId")} AS agent_id
                FROM session s
                JOIN {Locks} l ON l.{L("ProjectId")} = s.project_id AND l.{L("LockedBySession")} <> @session
                JOIN {Sessions} h ON h.{S("SessionId")} = l.{L("LockedBySession")}
                WHERE (l.{L("ExpiresAt")} IS NULL OR l.{L("ExpiresAt")} > {Now})
                  AND (@lock_type = '{Exclusive}' OR l.{L("LockType")} = '{Exclusive}')
                  AND EXISTS (SELECT 1 FROM requested r WHERE starts_with(r.prefix, {HeldPrefix("l")}) OR starts_with({HeldPrefix("l")}, r.prefix))
            ), granted AS MATERIALIZED (
                SELECT s.project_id, s.agent_id, {Now} AS at, {Now} + (@ttl_us * interval '1 microsecond') AS expires
                FROM session s
                WHERE {OwnCommon()} AND NOT EXISTS (SELECT 1 FROM own o WHERE o.path = ANY(@paths)) AND NOT EXISTS (SELECT 1 FROM blocking)
            ), inserted AS (
                INSERT INTO {Locks} ({L("Id")}, {L("ProjectId")}, {L("FilePath")}, {L("LockedBySession")}, {L("LockType")}, {L("AcquiredAt")}, {L("ExpiresAt")})
                SELECT r.id, g.project_id, r.path, @session, @lock_type, g.at, g.expires FROM requested r CROSS JOIN granted g
            ), events AS (
                INSERT INTO {EventColumns}
                SELECT g.at, '{OrchestrationEventTypes.FileLockAcquired}', g.project_id, '{FileLockService.EntityType}', r.id, @session,
                    jsonb_build_object('from', NULL, 'to', @lock_type, 'agent_id', g.agent_id, 'session_id', @session, 'work_item_id', NULL, 'reason', NULL,
                        'data', jsonb_build_array(jsonb_build_object('key', 'path', 'value', r.path),
                            jsonb_build_object('key', 'expires_at', 'value', to_char(g.expires AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || @ttl_tick || 'Z')))
                FROM requested r CROSS JOIN granted g ORDER BY r.ord
            ), listed AS (
                UPDATE {Sessions} s SET {SessionLocks} = (
                    SELECT {JsonList()} FROM (SELECT o.path, o.lock_type, o.expires_at FROM own o UNION ALL SELECT r.path, @lock_type, g.expires FROM requested r CROSS JOIN granted g) x)
                FROM granted g WHERE s.{S("SessionId")} = @session
            )
            SELECT project_id, agent_id, at, NULL AS holder, NULL::uuid AS id, NULL::uuid, NULL AS path, NULL AS lock_type, NULL::timestamptz, NULL::timestamptz FROM granted
            UNION ALL
            SELECT NULL, agent_id, NULL, holder, id, project_id, path, lock_type, acquired_at, expires_at FROM blocking
            WHERE current_setting('server_encoding') = 'UTF8'
            """;

        /// <summary>The release of the paths in <c>@paths</c>, or of every lock of the session (<paramref name="all"/>, no <c>@paths</c>).</summary>
        public string Release(bool all) => $"""
            WITH clock AS MATERIALIZED (
                SELECT coalesce(@now, clock_timestamp()) AS at
            ), session AS MATERIALIZED (
                SELECT s.{S("ProjectId")} AS project_id, s.{S("AgentId")} AS agent_id FROM {Sessions} s WHERE s.{S("SessionId")} = @session
            ), {Own()}, ok AS MATERIALIZED (
                SELECT s.agent_id FROM session s WHERE {OwnCommon()}
            ), released AS (
                DELETE FROM {Locks} l USING own o, ok
                WHERE l.{L("Id")} = o.id AND {(all ? "true" : "o.path = ANY(@paths)")}
                RETURNING l.{L("Id")} AS id, l.{L("ProjectId")} AS project_id, l.{L("FilePath")} AS path, l.{L("LockType")} AS lock_type, l.{L("AcquiredAt")} AS acquired_at, l.{L("ExpiresAt")} AS expires_at
            ), events AS (
                INSERT INTO {EventColumns}
                SELECT {Now}, '{OrchestrationEventTypes.FileLockReleased}', r.project_id, '{FileLockService.EntityType}', r.id, @session,
                    jsonb_build_object('from', NULL, 'to', NULL, 'agent_id', k.agent_id, 'session_id', @session, 'work_item_id', NULL, 'reason', NULL,
                        'data', jsonb_build_array(jsonb_build_object('key', 'path', 'value', r.path), jsonb_build_object('key', 'lock_type', 'value', r.lock_type)))
                FROM released r CROSS JOIN ok k ORDER BY r.path COLLATE "C"
            ), listed AS (
                UPDATE {Sessions} s SET {SessionLocks} = (
                    SELECT {JsonList()} FROM (SELECT o.path, o.lock_type, o.expires_at FROM own o WHERE {(all ? "false" : "NOT (o.path = ANY(@paths))")}) x)
                FROM ok WHERE s.{S("SessionId")} = @session
            )
            SELECT k.agent_id, r.id, r.project_id, r.path, r.lock_type, r.acquired_at, r.expires_at FROM ok k LEFT JOIN released r ON true
            """;

        /// <summary>
        /// The renewal of an active session with nothing to purge: every lock it holds expires at now + TTL (the column's
        /// microseconds), each with its event (the previous expiry in the general path's text), and its list follows.
        /// </summary>
        public string Renew() => $"""
            WITH clock AS MATERIALIZED (
                SELECT coalesce(@now, clock_timestamp()) AS at
            ), session AS MATERIALIZED (
                SELECT s.{S("ProjectId")} AS project_id, s.{S("AgentId")} AS agent_id FROM {Sessions} s
                WHERE s.{S("SessionId")} = @session AND s.{S("Status")} = '{StoredEnum.ToStore(SessionStatus.Active)}'
            ), {Own()}, ok AS MATERIALIZED (
                SELECT s.agent_id, {Now} AS at, {Now} + (@ttl_us * interval '1 microsecond') AS expires FROM session s WHERE {OwnCommon()}
            ), renewed AS (
                UPDATE {Locks} l SET {L("ExpiresAt")} = k.expires FROM own o, ok k
                WHERE l.{L("Id")} = o.id
                RETURNING l.{L("Id")} AS id, l.{L("ProjectId")} AS project_id, l.{L("FilePath")} AS path, l.{L("LockType")} AS lock_type, l.{L("AcquiredAt")} AS acquired_at, o.expires_at AS previous
            ), events AS (
                INSERT INTO {EventColumns}
                SELECT k.at, '{OrchestrationEventTypes.FileLockRenewed}', r.project_id, '{FileLockService.EntityType}', r.id, @session,
                    jsonb_build_object('from', NULL, 'to', r.lock_type, 'agent_id', k.agent_id, 'session_id', @session, 'work_item_id', NULL, 'reason', NULL,
                        'data', jsonb_build_array(jsonb_build_object('key', 'path', 'value', r.path),
                            jsonb_build_object('key', 'expires_at', 'value', to_char(k.expires AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || @ttl_tick || 'Z'),
                            jsonb_build_object('key', 'previous_expires_at', 'value', to_char(r.previous AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '0Z')))
                FROM renewed r CROSS JOIN ok k ORDER BY r.path COLLATE "C"
            ), listed AS (
                UPDATE {Sessions} s SET {SessionLocks} = (
                    SELECT {JsonList()} FROM (SELECT o.path, o.lock_type, k.expires AS expires_at FROM own o CROSS JOIN ok k) x)
                FROM ok WHERE s.{S("SessionId")} = @session
            )
            SELECT k.agent_id, k.at, r.id, r.project_id, r.path, r.lock_type, r.acquired_at FROM ok k LEFT JOIN renewed r ON true
            """;

        private string SessionLocks => n.ComplexColumn<AgentSession>(nameof(AgentSession.FileLocks));

        // Every lock of the session in its project, as the general path reads them.
        private string Own() => $"""
            own AS MATERIALIZED (
                SELECT l.{L("Id")} AS id, l.{L("FilePath")} AS path, l.{L("LockType")} AS lock_type, l.{L("ExpiresAt")} AS expires_at
                FROM {Locks} l JOIN session s ON l.{L("ProjectId")} = s.project_id
                WHERE l.{L("LockedBySession")} = @session
            )
            """;

        // The general path's other work (purging the session's expired locks) and a list the database would sort unlike
        // .NET (see the remarks of the class) are left to it; a lock without expiry too (none is made by the library).
        private static string OwnCommon() => """
            current_setting('server_encoding') = 'UTF8'
            AND NOT EXISTS (SELECT 1 FROM own o WHERE o.expires_at IS NULL OR o.expires_at <= (SELECT at FROM clock) OR o.path ~ '[-􏿿]')
            """;

        private string HeldPrefix(string alias) => LiteralPrefixSql($"{alias}.{L("FilePath")}");

        // agent_sessions.file_locks as EF writes it: by ordinal path, each expiry as System.Text.Json writes a UTC DateTime.
        private static string JsonList() => """
            coalesce(jsonb_agg(jsonb_build_object('path', x.path, 'lock_type', x.lock_type, 'expires_at',
                to_char(x.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
                || coalesce('.' || nullif(rtrim(to_char(x.expires_at AT TIME ZONE 'UTC', 'US'), '0'), ''), '') || 'Z')
                ORDER BY x.path COLLATE "C"), '[]'::jsonb)
            """;

        private string L(string property) => n.Column<FileLock>(property);

        private string S(string property) => n.Column<AgentSession>(property);

        private string E(string property) => n.Column<OrchestrationEvent>(property);
    }
}
