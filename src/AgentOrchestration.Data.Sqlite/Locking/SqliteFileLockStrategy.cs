using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Sqlite.Storage;
using AgentOrchestration.Data.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using static AgentOrchestration.Data.Sqlite.Claims.SqliteStatements;

namespace AgentOrchestration.Data.Sqlite.Locking;

/// <summary>
/// SQLite file lock acquisition, release, renewal and release of all: one write transaction (<c>BEGIN IMMEDIATE</c>, so no other writer runs in
/// between, which is what the general path's lock scope and session row lock give it) of at most three plain
/// statements. The first writes the session's lock list only when the common case holds, deciding in SQL with the
/// general path's own rules registered as SQL functions on the connection (<see cref="LockPatterns.Overlaps"/> for
/// conflicts, so globs and overlapping paths are judged exactly; the list built and ordered as EF Core writes it); the
/// others write the lock rows and their events. When the first writes nothing, neither does the rest: a refused acquisition
/// is named by one read under the same write lock (<see cref="RefuseConflictsAsync"/>), anything else is left to the
/// general path. Renewal and release of all take the same shape.
/// </summary>
/// <remarks>
/// The common case, as on PostgreSQL: the session exists (and, to acquire, is active), holds no expired lock and no lock
/// without expiry (the general path purges and reports those), and, to acquire, holds none of the paths (a refresh) and
/// no live lock of another session in the project conflicts (a conflict is refused here, named as the general path names it).
/// </remarks>
internal static class SqliteFileLockStrategy
{
    /// <summary>The SQL function of <see cref="LockPatterns.Overlaps"/>.</summary>
    private const string OverlapsFunction = "ao_lock_overlaps";

    /// <summary>The SQL aggregate of <see cref="StoredJson.LockList"/>: (path, lock_type, expires_at) rows in, the list's text out.</summary>
    private const string ListFunction = "ao_lock_list";

    private static readonly ConditionalWeakTable<IModel, LockSql> SqlByModel = [];

    /// <summary>The connections the functions are registered on (Microsoft.Data.Sqlite registers them again whenever one reopens).</summary>
    private static readonly ConditionalWeakTable<SqliteConnection, object> Registered = [];

    public static async Task<FileLockGrant?> TryAcquireAsync(DbContext db, IOrchestrationProvider provider, FileLockAcquisition request, CancellationToken cancellationToken)
    {
        var sql = For(SqlByModel, db, n => new LockSql(n));
        await using var transaction = await BeginStatementsAsync(provider, db, "locks", cancellationToken).ConfigureAwait(false);
        EnsureFunctions(Connection(db));

        // Read once the write lock is held, truncated as stored (the general path's NowAsync): every expiry judged and written is by it.
        var now = Now(request.Clock);
        var expires = now + request.Ttl;
        var at = At(now);
        var lockType = StoredEnum.ToStore(request.LockType);

        Guid projectId;
        Guid? agentId;
        var listed = Command(db, sql.AcquireList)
            .With("@session", request.SessionId).With("@now", at).With("@expires", At(expires)).With("@lock_type", lockType)
            .With("@paths", Strings(request.Paths));
        {
            await using var reader = await listed.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                await reader.DisposeAsync().ConfigureAwait(false);
                await RefuseConflictsAsync(db, sql, request, at, lockType, cancellationToken).ConfigureAwait(false);
                return null;
            }

            (projectId, agentId) = (reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetGuid(1));
        }

        // The rows and their events in the order asked (the general path's), each event's payload as EF Core writes it.
        var expiresText = Format(expires);
        var rows = Rows(request.Paths.Select((path, i) => (Id(request.Ids[i]), path, StoredJson.Payload(agentId, request.SessionId, lockType, ("path", path), ("expires_at", expiresText)))));
        await Command(db, sql.InsertLocks)
            .With("@rows", rows).With("@project", Id(projectId)).With("@session", request.SessionId).With("@lock_type", lockType).With("@now", at).With("@expires", At(expires))
            .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await Command(db, sql.Events)
            .With("@rows", rows).With("@type", OrchestrationEventTypes.FileLockAcquired).With("@project", Id(projectId)).With("@session", request.SessionId).With("@now", at)
            .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new FileLockGrant(projectId, agentId, now);
    }

    public static async Task<FileLockReleaseResult?> TryReleaseAsync(DbContext db, IOrchestrationProvider provider, FileLockRelease request, CancellationToken cancellationToken)
    {
        var sql = For(SqlByModel, db, n => new LockSql(n));
        await using var transaction = await BeginStatementsAsync(provider, db, "locks", cancellationToken).ConfigureAwait(false);
        EnsureFunctions(Connection(db));
        var now = Now(request.Clock);
        var at = At(now);
        var paths = Strings(request.Paths);

        Guid projectId;
        Guid? agentId;
        var listed = Command(db, request.All ? sql.ReleaseAllList : sql.ReleaseList).With("@session", request.SessionId).With("@now", at).With("@paths", paths);
        {
            await using var reader = await listed.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            (projectId, agentId) = (reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetGuid(1));
        }

        var released = new List<FileLock>();
        var delete = Command(db, request.All ? sql.DeleteAll : sql.Delete).With("@project", Id(projectId)).With("@session", request.SessionId).With("@paths", paths);
        {
            await using var reader = await delete.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                released.Add(new FileLock
                {
                    Id = reader.GetGuid(0),
                    ProjectId = projectId,
                    FilePath = reader.GetString(1),
                    LockedBySession = request.SessionId,
                    LockType = StoredEnum.FromStore<FileLockType>(reader.GetString(2)),
                    AcquiredAt = StoredJson.Time(reader.GetString(3)),
                    ExpiresAt = StoredJson.Time(reader.GetString(4)),
                });
            }
        }

        if (released.Count > 0)
        {
            // In the order the general path releases them: the session's locks by ordinal path.
            released.Sort(static (a, b) => string.CompareOrdinal(a.FilePath, b.FilePath));
            var rows = Rows(released.Select(l => (Id(l.Id), l.FilePath, StoredJson.Payload(agentId, request.SessionId, null, ("path", l.FilePath), ("lock_type", StoredEnum.ToStore(l.LockType))))));
            await Command(db, sql.Events)
                .With("@rows", rows).With("@type", OrchestrationEventTypes.FileLockReleased).With("@project", Id(projectId)).With("@session", request.SessionId).With("@now", at)
                .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new FileLockReleaseResult(agentId, released);
    }

    public static async Task<FileLockRenewalResult?> TryRenewAsync(DbContext db, IOrchestrationProvider provider, FileLockRenewal request, CancellationToken cancellationToken)
    {
        var sql = For(SqlByModel, db, n => new LockSql(n));
        await using var transaction = await BeginStatementsAsync(provider, db, "locks", cancellationToken).ConfigureAwait(false);
        EnsureFunctions(Connection(db));
        var now = Now(request.Clock);
        var expires = now + request.Ttl;
        var at = At(now);

        // The session's list, and its locks as they were (the previous expiry is in each event), in one statement.
        Guid projectId;
        Guid? agentId;
        var renewed = new List<(FileLock Lock, DateTimeOffset Previous)>();
        var listed = Command(db, sql.RenewList).With("@session", request.SessionId).With("@now", at).With("@expires", At(expires));
        {
            await using var reader = await listed.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            (projectId, agentId) = (reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetGuid(1));
            using var held = JsonDocument.Parse(reader.GetString(2));
            foreach (var row in held.RootElement.EnumerateArray())
            {
                renewed.Add((new FileLock
                {
                    Id = Guid.Parse(row[0].GetString()!),
                    ProjectId = projectId,
                    FilePath = row[1].GetString()!,
                    LockedBySession = request.SessionId,
                    LockType = StoredEnum.FromStore<FileLockType>(row[2].GetString()!),
                    AcquiredAt = StoredJson.Time(row[3].GetString()!),
                    ExpiresAt = expires,
                }, StoredJson.Time(row[4].GetString()!)));
            }
        }

        if (renewed.Count > 0)
        {
            await Command(db, sql.Renew)
                .With("@project", Id(projectId)).With("@session", request.SessionId).With("@expires", At(expires))
                .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

            // In the order the general path renews them: the session's locks by ordinal path.
            renewed.Sort(static (a, b) => string.CompareOrdinal(a.Lock.FilePath, b.Lock.FilePath));
            var expiresText = Format(expires);
            var rows = Rows(renewed.Select(r => (Id(r.Lock.Id), r.Lock.FilePath, StoredJson.Payload(
                agentId, request.SessionId, StoredEnum.ToStore(r.Lock.LockType), ("path", r.Lock.FilePath), ("expires_at", expiresText), ("previous_expires_at", Format(r.Previous))))));
            await Command(db, sql.Events)
                .With("@rows", rows).With("@type", OrchestrationEventTypes.FileLockRenewed).With("@project", Id(projectId)).With("@session", request.SessionId).With("@now", at)
                .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new FileLockRenewalResult(agentId, [.. renewed.Select(r => r.Lock)]);
    }

    /// <summary>
    /// After an acquisition wrote nothing, under the same write lock: when the session is active and other sessions' live
    /// locks are in the way, refuses as the general path would (it checks conflicts first, so they are what it reports,
    /// whatever else it would purge or refresh), with the same conflicts in its order: by requested path as asked, then by
    /// held path and holder session. Otherwise returns, and the general path decides.
    /// </summary>
    private static async Task RefuseConflictsAsync(DbContext db, LockSql sql, FileLockAcquisition request, string at, string lockType, CancellationToken cancellationToken)
    {
        var held = new List<FileLockInfo>();
        var read = Command(db, sql.Conflicts).With("@session", request.SessionId).With("@now", at).With("@lock_type", lockType).With("@paths", Strings(request.Paths));
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                held.Add(new FileLockInfo(
                    new FileLock
                    {
                        Id = reader.GetGuid(0),
                        ProjectId = reader.GetGuid(1),
                        FilePath = reader.GetString(2),
                        LockedBySession = reader.GetString(3),
                        LockType = StoredEnum.FromStore<FileLockType>(reader.GetString(4)),
                        AcquiredAt = StoredJson.Time(reader.GetString(5)),
                        ExpiresAt = reader.IsDBNull(6) ? null : StoredJson.Time(reader.GetString(6)),
                    },
                    reader.IsDBNull(7) ? null : reader.GetGuid(7)));
            }
        }

        if (FileLockService.Refusal(request.SessionId, request.Paths, request.LockType, held) is { } refusal)
        {
            throw refusal;
        }
    }

    private static DateTimeOffset Now(TimeProvider? clock) =>
        UtcTimestampConverter.FromStore(UtcTimestampConverter.ToStore(
            (clock ?? throw new InvalidOperationException("SQLite decides lock expiry by the calling machine's clock.")).GetUtcNow()));

    /// <summary>A time in an event's data, as the general path formats it.</summary>
    private static string Format(DateTimeOffset at) => at.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A JSON array of strings, for <c>json_each</c>.</summary>
    private static string Strings(IEnumerable<string> values)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var value in values)
            {
                json.WriteStringValue(value);
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>The rows of the insert statements: a JSON array of [id, path, payload], in order.</summary>
    private static string Rows(IEnumerable<(string Id, string Path, string Payload)> rows)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var (id, path, payload) in rows)
            {
                json.WriteStartArray();
                json.WriteStringValue(id);
                json.WriteStringValue(path);
                json.WriteStringValue(payload);
                json.WriteEndArray();
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void EnsureFunctions(SqliteConnection connection)
    {
        if (Registered.TryGetValue(connection, out _))
        {
            return;
        }

        connection.CreateFunction<string, string, bool>(OverlapsFunction, LockPatterns.Overlaps, isDeterministic: true);

        // A null seed: every call of the aggregate starts a list of its own.
        connection.CreateAggregate<string, string, string?, List<StoredJson.StoredLock>?, string>(
            ListFunction,
            null,
            static (list, path, type, expires) =>
            {
                list ??= [];
                list.Add(new StoredJson.StoredLock(path, type, expires));
                return list;
            },
            StoredJson.LockList,
            isDeterministic: true);
        Registered.AddOrUpdate(connection, connection);
    }

    /// <summary>The lock statements, built once per model from its store names.</summary>
    private sealed class LockSql
    {
        public LockSql(StoreNames n)
        {
            var locks = n.Table<FileLock>();
            var sessions = n.Table<AgentSession>();
            string L(string property) => n.Column<FileLock>(property);
            string S(string property) => n.Column<AgentSession>(property);
            string E(string property) => n.Column<OrchestrationEvent>(property);
            var list = n.ComplexColumn<AgentSession>(nameof(AgentSession.FileLocks));
            var exclusive = $"'{StoredEnum.ToStore(FileLockType.Exclusive)}'";
            var paths = "(SELECT value FROM json_each(@paths))";

            // The session's locks in its project (the general path's "own"), for the session row being written.
            string Own(string alias) => $"{locks} {alias} WHERE {alias}.{L("ProjectId")} = {sessions}.{S("ProjectId")} AND {alias}.{L("LockedBySession")} = @session";

            // An own lock the general path would purge (expired) or list unlike EF Core (no expiry).
            string NoneToPurge() => $"NOT EXISTS (SELECT 1 FROM {Own("o")} AND (o.{L("ExpiresAt")} IS NULL OR o.{L("ExpiresAt")} <= @now))";

            // The general path's acquisition, for an active session with nothing to purge or refresh: no live lock of
            // another session in the project conflicts (either side exclusive, and the patterns overlap: exactly, by
            // LockPatterns.Overlaps), and the session's list becomes its locks and the new ones.
            AcquireList = $"""
                UPDATE {sessions} SET {list} = (
                    SELECT {ListFunction}(x.path, x.lock_type, x.expires_at) FROM (
                        SELECT l.{L("FilePath")} AS path, l.{L("LockType")} AS lock_type, l.{L("ExpiresAt")} AS expires_at FROM {Own("l")}
                        UNION ALL
                        SELECT value, @lock_type, @expires FROM json_each(@paths)) x)
                WHERE {S("SessionId")} = @session AND {S("Status")} = '{StoredEnum.ToStore(SessionStatus.Active)}'
                  AND {NoneToPurge()}
                  AND NOT EXISTS (SELECT 1 FROM {Own("h")} AND h.{L("FilePath")} IN {paths})
                  AND NOT EXISTS (
                      SELECT 1 FROM json_each(@paths) r CROSS JOIN {locks} c
                      WHERE c.{L("ProjectId")} = {sessions}.{S("ProjectId")} AND c.{L("LockedBySession")} <> @session
                        AND (c.{L("ExpiresAt")} IS NULL OR c.{L("ExpiresAt")} > @now)
                        AND (@lock_type = {exclusive} OR c.{L("LockType")} = {exclusive})
                        AND {OverlapsFunction}(r.value, c.{L("FilePath")}))
                RETURNING {S("ProjectId")}, {S("AgentId")}
                """;

            InsertLocks = $"""
                INSERT INTO {locks} ({L("Id")}, {L("ProjectId")}, {L("FilePath")}, {L("LockedBySession")}, {L("LockType")}, {L("AcquiredAt")}, {L("ExpiresAt")})
                SELECT json_extract(value, '$[0]'), @project, json_extract(value, '$[1]'), @session, @lock_type, @now, @expires
                FROM json_each(@rows)
                """;

            // The release of a session (any status) with nothing to purge: its list becomes its other locks.
            ReleaseList = $"""
                UPDATE {sessions} SET {list} = (
                    SELECT {ListFunction}(l.{L("FilePath")}, l.{L("LockType")}, l.{L("ExpiresAt")}) FROM {Own("l")} AND l.{L("FilePath")} NOT IN {paths})
                WHERE {S("SessionId")} = @session AND {NoneToPurge()}
                RETURNING {S("ProjectId")}, {S("AgentId")}
                """;

            Delete = $"""
                DELETE FROM {locks}
                WHERE {L("ProjectId")} = @project AND {L("LockedBySession")} = @session AND {L("FilePath")} IN {paths}
                RETURNING {L("Id")}, {L("FilePath")}, {L("LockType")}, {L("AcquiredAt")}, {L("ExpiresAt")}
                """;

            // Releasing every lock of the session: its list becomes the aggregate of none (the text EF Core writes for an empty list).
            ReleaseAllList = $"""
                UPDATE {sessions} SET {list} = (
                    SELECT {ListFunction}(l.{L("FilePath")}, l.{L("LockType")}, l.{L("ExpiresAt")}) FROM {Own("l")} AND 0)
                WHERE {S("SessionId")} = @session AND {NoneToPurge()}
                RETURNING {S("ProjectId")}, {S("AgentId")}
                """;

            DeleteAll = $"""
                DELETE FROM {locks}
                WHERE {L("ProjectId")} = @project AND {L("LockedBySession")} = @session
                RETURNING {L("Id")}, {L("FilePath")}, {L("LockType")}, {L("AcquiredAt")}, {L("ExpiresAt")}
                """;

            // The renewal of an active session with nothing to purge: its list, every lock at the new expiry; returned, its
            // locks as they are before the next statement extends them (a subquery of RETURNING reads the other table as is).
            RenewList = $"""
                UPDATE {sessions} SET {list} = (
                    SELECT {ListFunction}(l.{L("FilePath")}, l.{L("LockType")}, @expires) FROM {Own("l")})
                WHERE {S("SessionId")} = @session AND {S("Status")} = '{StoredEnum.ToStore(SessionStatus.Active)}' AND {NoneToPurge()}
                RETURNING {S("ProjectId")}, {S("AgentId")}, (
                    SELECT json_group_array(json_array(o.{L("Id")}, o.{L("FilePath")}, o.{L("LockType")}, o.{L("AcquiredAt")}, o.{L("ExpiresAt")})) FROM {Own("o")})
                """;

            Renew = $"""
                UPDATE {locks} SET {L("ExpiresAt")} = @expires
                WHERE {L("ProjectId")} = @project AND {L("LockedBySession")} = @session
                """;

            // What the general path reports when it refuses an acquisition: the live locks of the project's other sessions
            // that conflict with a requested path (either side exclusive, and the patterns overlap), each with its holder's
            // agent; only for an active session, as the general path checks conflicts only then.
            Conflicts = $"""
                SELECT c.{L("Id")}, c.{L("ProjectId")}, c.{L("FilePath")}, c.{L("LockedBySession")}, c.{L("LockType")}, c.{L("AcquiredAt")}, c.{L("ExpiresAt")}, h.{S("AgentId")}
                FROM {sessions} s
                JOIN {locks} c ON c.{L("ProjectId")} = s.{S("ProjectId")} AND c.{L("LockedBySession")} <> @session
                JOIN {sessions} h ON h.{S("SessionId")} = c.{L("LockedBySession")}
                WHERE s.{S("SessionId")} = @session AND s.{S("Status")} = '{StoredEnum.ToStore(SessionStatus.Active)}'
                  AND (c.{L("ExpiresAt")} IS NULL OR c.{L("ExpiresAt")} > @now)
                  AND (@lock_type = {exclusive} OR c.{L("LockType")} = {exclusive})
                  AND EXISTS (SELECT 1 FROM json_each(@paths) r WHERE {OverlapsFunction}(r.value, c.{L("FilePath")}))
                """;

            // One event per row, in the rows' order.
            Events = $"""
                INSERT INTO {n.Table<OrchestrationEvent>()} ({E("OccurredAt")}, {E("Type")}, {E("ProjectId")}, {E("EntityType")}, {E("EntityId")}, {E("Actor")}, {n.ComplexColumn<OrchestrationEvent>(nameof(OrchestrationEvent.Payload))})
                SELECT @now, @type, @project, '{FileLockService.EntityType}', json_extract(value, '$[0]'), @session, json_extract(value, '$[2]')
                FROM json_each(@rows)
                ORDER BY key
                """;
        }

        public string AcquireList { get; }

        public string InsertLocks { get; }

        public string ReleaseList { get; }

        public string Delete { get; }

        public string ReleaseAllList { get; }

        public string DeleteAll { get; }

        public string RenewList { get; }

        public string Renew { get; }

        public string Conflicts { get; }

        public string Events { get; }
    }
}
