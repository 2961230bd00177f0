using System.Globalization;
using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using NpgsqlTypes;

namespace AgentOrchestration.Data.PostgreSql.EventLog;

/// <summary>
/// The PostgreSQL feed. Sequence values are taken at insert but become visible at commit, so transactions commit out
/// of sequence order and a reader paging by sequence alone would step over an event that commits late. The feed is
/// ordered by the writing transaction's key (<c>transaction_id</c>, <c>xid8</c>; see <see cref="EventFeedSchema"/>),
/// then sequence, and reads only keys below a horizon that no transaction still writing events can fall behind.
/// </summary>
/// <remarks>
/// A read is three steps, each a statement of its own so each sees a later moment than the one before:
/// <list type="number">
/// <item>the floor: one past the newest transaction that has ended (<c>pg_snapshot_xmax</c>; a transaction that takes
/// its id from now on gets one at or above it) is published to the horizon sequence if it is higher, so any writer that
/// takes the writer lock from now on also gets a key at or above it, whenever it took its id;</item>
/// <item>the writers: from one consistent <c>pg_locks</c> view, the transaction id of every holder of the writer lock in
/// this database. The horizon is the lowest of them and the floor. A holder with no transaction id yet is about to take
/// one: the read waits for it (horizon 0) rather than guess;</item>
/// <item>the events below the horizon, with a snapshot taken after the writers were read: a writer that held the lock
/// then is below the horizon only if it has ended, so its events are visible; a writer that took the lock after got a
/// key at or above the floor.</item>
/// </list>
/// Transactions that write no event (a host's, another database's, an idle psql session) hold nothing back. Steps 1 and
/// 2 are one batch, one round trip. Inside a caller's transaction the floor is not published (its lock would last as
/// long as the caller's transaction) and under REPEATABLE READ or SERIALIZABLE the third step's snapshot is the
/// transaction's, older than the writers' view; there the read falls back to the server-wide bound that needs neither,
/// <c>pg_snapshot_xmin</c> (every key is at or above its transaction's id, so a key below it belongs to an ended
/// transaction). So does a read on a hot standby, which cannot see the primary's locks.
/// </remarks>
internal static class PostgreSqlEventReader
{
    private static readonly ConditionalWeakTable<IModel, FeedSql> SqlByModel = [];

    public static async Task<EventCursor?> FindCursorAsync(DbContext context, long sequence, CancellationToken cancellationToken)
    {
        var transactionId = await context.Set<OrchestrationEvent>().Where(e => e.Sequence == sequence)
            .Select(e => (ulong?)EF.Property<ulong>(e, EventFeedSchema.TransactionIdProperty))
            .SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        return transactionId is { } id ? new EventCursor(sequence, id) : null;
    }

    public static async Task<EventBatch> ReadAsync(DbContext context, EventCursor after, int take, Guid? projectId, CancellationToken cancellationToken)
    {
        var sql = SqlByModel.GetValue(context.Model, _ => BuildSql(new StoreNames(context), context.Model));
        var horizon = await ReadHorizonAsync(context, sql, cancellationToken).ConfigureAwait(false);
        var query = context.Set<OrchestrationEvent>().FromSqlRaw(sql.Settled, Parameters(after, horizon)).AsNoTracking();
        if (projectId is { } project)
        {
            query = query.Where(e => e.ProjectId == project);
        }

        var rows = await query
            .OrderBy(e => EF.Property<ulong>(e, EventFeedSchema.TransactionIdProperty)).ThenBy(e => e.Sequence).Take(take)
            .Select(e => new { Event = e, TransactionId = EF.Property<ulong>(e, EventFeedSchema.TransactionIdProperty) })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var next = rows.Count == 0 ? after : new EventCursor(rows[^1].Event.Sequence, rows[^1].TransactionId);
        var heldBack = rows.Count < take && await context.Database
            .SqlQueryRaw<bool>(sql.HeldBack, Parameters(next, horizon)).SingleAsync(cancellationToken).ConfigureAwait(false);
        return new EventBatch([.. rows.Select(r => r.Event)], next, heldBack);
    }

    /// <summary>Steps 1 and 2 of a read, in one round trip: the floor, then the writers still holding the feed back.</summary>
    /// <summary>
    /// The oldest open transaction holding the feed's writer lock: one query of <c>pg_locks</c> and <c>pg_stat_activity</c>.
    /// The role needs <c>pg_read_all_stats</c> (or to be the holder's role) to see other roles' transaction start times.
    /// </summary>
    public static async Task<EventFeedWriter?> FindOldestWriterAsync(DbContext context, CancellationToken cancellationToken)
    {
        var key = EventFeedSchema.LockKey(EventFeedSchema.Channel(context.Model)).ToString(CultureInfo.InvariantCulture);
        var sql = $"""
            SELECT a.pid AS "Pid", COALESCE(a.application_name, '') AS "Application", COALESCE(a.state, '') AS "State",
                   EXTRACT(EPOCH FROM clock_timestamp() - a.xact_start)::float8 AS "Seconds"
            FROM pg_catalog.pg_locks AS l
            JOIN pg_catalog.pg_stat_activity AS a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.classid = {EventFeedSchema.WriterLockClass} AND l.objid = {key}
              AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
              AND a.xact_start IS NOT NULL
            ORDER BY a.xact_start
            LIMIT 1
            """;
        var oldest = await context.Database.SqlQueryRaw<EventFeedWriter>(sql).ToListAsync(cancellationToken).ConfigureAwait(false);
        return oldest is [var writer] ? writer : null;
    }

    private static async Task<ulong> ReadHorizonAsync(DbContext context, FeedSql sql, CancellationToken cancellationToken)
    {
        await context.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (context.Database.CurrentTransaction is null)
            {
                try
                {
                    return await ReadHorizonAsync(context, sql, publish: true, cancellationToken).ConfigureAwait(false);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
                {
                    // The publisher lock is held past lock_timeout: only a transaction opened on a connection behind
                    // EF Core's back can hold it that long. Read with the floor already published.
                }
            }

            return await ReadHorizonAsync(context, sql, publish: false, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await context.Database.CloseConnectionAsync().ConfigureAwait(false);
        }
    }

    private static async Task<ulong> ReadHorizonAsync(DbContext context, FeedSql sql, bool publish, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch((NpgsqlConnection)context.Database.GetDbConnection());
        if (publish)
        {
            // The settings last for the batch's implicit transaction only. setval gives it a transaction id, so its
            // commit would wait for a WAL flush; it need not: a writer that read the published value flushes it with its
            // own commit (WAL is flushed in order), so after a crash the sequence still covers every key a durable
            // event got from it. The publisher lock is held for the batch only, so a wait for it is short.
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT set_config('synchronous_commit', 'off', true), set_config('lock_timeout', '2s', true)"));
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand(publish ? sql.PublishFloor : sql.ReadFloor));
        batch.BatchCommands.Add(new NpgsqlBatchCommand(sql.Writers));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (publish)
        {
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }

        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var horizon = (ulong)reader.GetInt64(0);
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var writers = new Dictionary<string, ulong>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (reader.IsDBNull(1))
            {
                continue;
            }

            var writer = reader.GetString(1);
            var lowest = writers.GetValueOrDefault(writer, ulong.MaxValue);
            writers[writer] = reader.IsDBNull(2)
                ? 0
                : Math.Min(lowest, Widen((uint)reader.GetInt64(2), (ulong)reader.GetInt64(0)));
        }

        return writers.Count == 0 ? horizon : Math.Min(horizon, writers.Values.Min());
    }

    /// <summary>
    /// The full (<c>xid8</c>) id of a running transaction from the 32 bits <c>pg_locks</c> shows, given a full id near
    /// it: running transactions are always within 2^31 of the server's next id, so the nearest match is the one.
    /// </summary>
    internal static ulong Widen(uint transactionId, ulong reference) =>
        unchecked((ulong)((long)reference + (int)(transactionId - (uint)reference)));

    private static object[] Parameters(EventCursor after, ulong horizon) =>
    [
        new NpgsqlParameter("after_tx", NpgsqlDbType.Xid8) { Value = after.TransactionId },
        new NpgsqlParameter("after_seq", NpgsqlDbType.Bigint) { Value = after.Sequence },
        new NpgsqlParameter("horizon", NpgsqlDbType.Xid8) { Value = horizon },
    ];

    private static FeedSql BuildSql(StoreNames n, IModel model)
    {
        var table = n.Table<OrchestrationEvent>();
        var tx = n.Column<OrchestrationEvent>(EventFeedSchema.TransactionIdProperty);
        var seq = n.Column<OrchestrationEvent>(nameof(OrchestrationEvent.Sequence));
        var channel = EventFeedSchema.Channel(model);
        var key = EventFeedSchema.LockKey(channel).ToString(CultureInfo.InvariantCulture);
        var sequence = "'" + EventFeedSchema.HorizonSequence(model).Replace("'", "''", StringComparison.Ordinal) + "'::regclass";
        const string Xmax = "pg_snapshot_xmax(pg_current_snapshot())::text::bigint";
        var last = $"COALESCE(pg_sequence_last_value({sequence}), 0)";

        // The CASEs order the steps: the publisher lock is taken before the sequence is read, so two readers never
        // lower it (and a reader that waited for another reads what that one published). A read that may not write (a
        // read-only transaction or role) uses the value already published. A standby sees none of the primary's
        // advisory locks, so there the floor is 0 and the read keeps to the snapshot bound alone.
        const string Standby = "WHEN pg_is_in_recovery() THEN 0";
        var publish = $"SELECT CASE {Standby} WHEN current_setting('transaction_read_only') = 'on' THEN {last} "
            + $"WHEN pg_advisory_xact_lock({EventFeedSchema.PublisherLockClass}, {key})::text = '' "
            + $"THEN CASE WHEN {Xmax} > {last} THEN setval({sequence}, {Xmax}) ELSE {last} END ELSE {last} END";
        var read = $"SELECT CASE {Standby} ELSE {last} END";

        // pg_locks is a function over the lock manager: read it once (MATERIALIZED) for one consistent view. A holder's
        // own transaction ids are the transactionid locks it holds exclusively; the lowest is its top-level id.
        var writers = $"""
            WITH locks AS MATERIALIZED (
                SELECT locktype, database, classid, objid, objsubid, virtualtransaction, transactionid, mode, granted FROM pg_catalog.pg_locks),
            writers AS (
                SELECT DISTINCT virtualtransaction FROM locks
                WHERE locktype = 'advisory' AND objsubid = 2 AND classid = {EventFeedSchema.WriterLockClass} AND objid = {key}
                  AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))
            SELECT {Xmax}, w.virtualtransaction, x.transactionid::text::bigint
            FROM (SELECT 1) AS one
            LEFT JOIN writers AS w ON true
            LEFT JOIN locks AS x ON x.virtualtransaction = w.virtualtransaction AND x.locktype = 'transactionid' AND x.mode = 'ExclusiveLock' AND x.granted
            """;

        const string Xmin = "pg_snapshot_xmin(pg_current_snapshot())";
        var horizon = $"(CASE WHEN current_setting('transaction_isolation') IN ('read committed', 'read uncommitted') THEN greatest(@horizon, {Xmin}) ELSE {Xmin} END)";
        return new FeedSql(
            publish,
            read,
            writers,
            $"SELECT * FROM {table} WHERE {tx} < {horizon} AND ({tx}, {seq}) > (@after_tx, @after_seq)",
            $"SELECT EXISTS (SELECT 1 FROM {table} WHERE {tx} >= {horizon} AND ({tx}, {seq}) > (@after_tx, @after_seq)) AS \"Value\"");
    }

    private sealed record FeedSql(string PublishFloor, string ReadFloor, string Writers, string Settled, string HeldBack);
}
