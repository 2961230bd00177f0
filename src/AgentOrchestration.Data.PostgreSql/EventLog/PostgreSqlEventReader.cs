using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using NpgsqlTypes;

namespace AgentOrchestration.Data.PostgreSql.EventLog;

/// <summary>
/// The PostgreSQL feed. Sequence values are taken at insert but become visible at commit, so transactions commit out
/// of sequence order and a reader paging by sequence alone would step over an event that commits late. The feed is
/// ordered by the writing transaction's id (<c>transaction_id</c>, <c>xid8</c>), then sequence, and reads only
/// transactions older than the oldest one still running (<c>pg_snapshot_xmin</c>): those have all ended, so nothing can
/// ever appear behind the reader's position.
/// </summary>
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
        var sql = SqlByModel.GetValue(context.Model, _ => BuildSql(new StoreNames(context)));
        var query = context.Set<OrchestrationEvent>().FromSqlRaw(sql.Settled, Parameters(after)).AsNoTracking();
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
            .SqlQueryRaw<bool>(sql.HeldBack, Parameters(next)).SingleAsync(cancellationToken).ConfigureAwait(false);
        return new EventBatch([.. rows.Select(r => r.Event)], next, heldBack);
    }

    private static object[] Parameters(EventCursor after) =>
    [
        new NpgsqlParameter("after_tx", NpgsqlDbType.Xid8) { Value = after.TransactionId },
        new NpgsqlParameter("after_seq", NpgsqlDbType.Bigint) { Value = after.Sequence },
    ];

    private static FeedSql BuildSql(StoreNames n)
    {
        var table = n.Table<OrchestrationEvent>();
        var tx = n.Column<OrchestrationEvent>(EventFeedSchema.TransactionIdProperty);
        var seq = n.Column<OrchestrationEvent>(nameof(OrchestrationEvent.Sequence));
        const string Horizon = "pg_snapshot_xmin(pg_current_snapshot())";
        return new FeedSql(
            $"SELECT * FROM {table} WHERE {tx} < {Horizon} AND ({tx}, {seq}) > (@after_tx, @after_seq)",
            $"SELECT EXISTS (SELECT 1 FROM {table} WHERE {tx} >= {Horizon} AND ({tx}, {seq}) > (@after_tx, @after_seq)) AS \"Value\"");
    }

    private sealed record FeedSql(string Settled, string HeldBack);
}
