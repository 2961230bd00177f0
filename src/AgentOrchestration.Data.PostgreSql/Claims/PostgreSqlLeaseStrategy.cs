using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Storage;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.PostgreSql.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using NpgsqlTypes;

namespace AgentOrchestration.Data.PostgreSql.Claims;

/// <summary>
/// The PostgreSQL writes of a lease holder in one round trip: complete (one lease or many) and renew. Each is a batch of
/// two statements in one implicit transaction: the first locks the work items (in id order, so batches never deadlock
/// with each other), the second, whose snapshot is taken once the locks are held, makes the whole lease check of
/// <see cref="LeaseCheck"/>, the state check and the QA gate of <see cref="QaGate"/> and writes only when every lease
/// passes. When one does not, nothing is written and the caller takes the general path, which decides again under the
/// same locks and refuses with the precise exception; so the fast path only ever does what the general one would.
/// </summary>
internal static class PostgreSqlLeaseStrategy
{
    private static readonly ConditionalWeakTable<IModel, LeaseSql> SqlByModel = [];

    private static readonly string[] Active = [Stored(AssignmentStatus.Assigned), Stored(AssignmentStatus.Started), Stored(AssignmentStatus.Paused)];

    /// <summary>Completes every lease of <paramref name="request"/> in one round trip, or writes nothing.</summary>
    /// <param name="db">The context whose connection runs the batch.</param>
    /// <param name="request">The leases, the deciding clock and the QA policy.</param>
    /// <param name="cancellationToken">A token to cancel the batch.</param>
    /// <param name="first">A statement sent first in the same transaction (a combined completion's lock timeout), or none.</param>
    /// <returns><see langword="true"/> when every lease was completed; <see langword="false"/> when nothing was written.</returns>
    public static async Task<bool> TryCompleteAsync(DbContext db, CompletionRequest request, CancellationToken cancellationToken, NpgsqlBatchCommand? first = null)
    {
        var commands = CompletionCommands(db, request, chained: false);
        if (first is not null)
        {
            commands.Insert(0, first);
        }

        var completed = await OneTripBatch.RunAsync(db, commands, commands.Count - 1, static async (reader, ct) =>
            await reader.ReadAsync(ct).ConfigureAwait(false) ? reader.GetInt32(0) : 0, cancellationToken).ConfigureAwait(false);
        return completed == request.Leases.Count;
    }

    /// <summary>
    /// The transaction-local setting a completion followed by a claim in the same transaction leaves: how many leases it
    /// completed (<see cref="PostgreSqlClaimStrategy.CompleteAndClaimAsync"/>'s claim claims only after one).
    /// </summary>
    public const string CompletedFlag = "agent_orchestration.completed";

    /// <summary>
    /// The item lock and the completion of every lease of <paramref name="request"/>, whose result is the count of leases
    /// completed (all or none); <paramref name="chained"/>: also left in <see cref="CompletedFlag"/> for a claim that follows.
    /// </summary>
    public static List<NpgsqlBatchCommand> CompletionCommands(DbContext db, CompletionRequest request, bool chained)
    {
        var sql = SqlByModel.GetValue(db.Model, _ => BuildSql(new StoreNames(db)));
        var leases = request.Leases;
        var policy = request.QaPolicy;
        var levels = Enum.GetValues<OversightLevel>();
        var requiredLevels = new List<string>();
        var requiredTypes = new List<string>();
        foreach (var level in levels)
        {
            foreach (var type in policy.RequiredTypes(level))
            {
                requiredLevels.Add(Stored(level));
                requiredTypes.Add(Stored(type));
            }
        }

        var complete = new NpgsqlBatchCommand(chained ? sql.CompleteChained : sql.Complete);
        complete.Parameters.Add(new NpgsqlParameter("items", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = leases.Select(l => l.WorkItemId).ToArray() });
        complete.Parameters.Add(new NpgsqlParameter("assignments", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = leases.Select(l => l.AssignmentId).ToArray() });
        complete.Parameters.Add(new NpgsqlParameter("tokens", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = leases.Select(l => l.FencingToken).ToArray() });
        complete.Parameters.Add(Now(request.Clock));
        complete.Parameters.Add(new NpgsqlParameter("unknown_level", NpgsqlDbType.Text) { Value = Stored(policy.UnknownSessionLevel) });
        complete.Parameters.Add(new NpgsqlParameter("required_levels", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = requiredLevels.ToArray() });
        complete.Parameters.Add(new NpgsqlParameter("required_types", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = requiredTypes.ToArray() });
        complete.Parameters.Add(new NpgsqlParameter("warning_levels", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = levels.Where(policy.WarningsPass).Select(Stored).ToArray() });
        complete.Parameters.Add(new NpgsqlParameter("active", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = Active });
        return [LockCommand(sql.LockItems, [.. leases.Select(l => l.WorkItemId)]), complete];
    }

    public static async Task<ClaimedWork?> TryRenewAsync(DbContext db, WorkLease lease, TimeSpan duration, TimeProvider? clock, CancellationToken cancellationToken)
    {
        var sql = SqlByModel.GetValue(db.Model, _ => BuildSql(new StoreNames(db)));
        var renew = new NpgsqlBatchCommand(sql.Renew);
        renew.Parameters.Add(new NpgsqlParameter("items", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = new[] { lease.WorkItemId } });
        renew.Parameters.Add(new NpgsqlParameter("assignments", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = new[] { lease.AssignmentId } });
        renew.Parameters.Add(new NpgsqlParameter("tokens", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = new[] { lease.FencingToken } });
        renew.Parameters.Add(Now(clock));
        renew.Parameters.Add(new NpgsqlParameter("duration_us", NpgsqlDbType.Bigint) { Value = duration.Ticks / TimeSpan.TicksPerMicrosecond });
        renew.Parameters.Add(new NpgsqlParameter("active", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = Active });

        return await RunAsync(db, sql.LockItems, [lease.WorkItemId], renew, async (reader, ct) =>
            await reader.ReadAsync(ct).ConfigureAwait(false)
                ? new ClaimedWork(lease, reader.GetGuid(0), reader.GetString(1), reader.GetInt32(2), UtcTimestampConverter.FromStore(reader.GetDateTime(3)))
                : null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends the lock and the write as one prepared batch and reads the write's result.</summary>
    private static Task<T> RunAsync<T>(
        DbContext db, string lockItems, Guid[] items, NpgsqlBatchCommand write, Func<NpgsqlDataReader, CancellationToken, Task<T>> read, CancellationToken cancellationToken) =>
        OneTripBatch.RunAsync(db, [LockCommand(lockItems, items), write], 1, read, cancellationToken);

    private static NpgsqlBatchCommand LockCommand(string lockItems, Guid[] items)
    {
        var lockCommand = new NpgsqlBatchCommand(lockItems);
        lockCommand.Parameters.Add(new NpgsqlParameter("items", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = items });
        return lockCommand;
    }

    // Without an explicit clock the server's decides (null here), read once the item locks are held.
    private static NpgsqlParameter Now(TimeProvider? clock) =>
        new("now", NpgsqlDbType.TimestampTz) { Value = clock is { } c ? UtcTimestampConverter.ToStore(c.GetUtcNow()) : DBNull.Value };

    private static string Stored<TEnum>(TEnum value)
        where TEnum : struct, Enum => StoredEnum.ToStore(value);

    private static LeaseSql BuildSql(StoreNames n)
    {
        var statement = new LeaseStatement(n);
        return new LeaseSql(statement.LockItems(), statement.Complete("count(*)::int"), statement.Complete($"set_config('{CompletedFlag}', count(*)::text, true)::int"), statement.Renew());
    }

    private sealed record LeaseSql(string LockItems, string Complete, string CompleteChained, string Renew);

    /// <summary>
    /// The lease holder's statements, built from the model's store names in named steps: the lease check both share, then
    /// the QA gate, the all-or-nothing completion and its writes, or the renewal.
    /// </summary>
    private sealed class LeaseStatement(StoreNames n)
    {
        // Every time below is the statement's one reading of the clock (see the clock CTE).
        private const string Now = "(SELECT at FROM clock)";

        private const string AtText = $"to_char({Now} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') || '0Z'";

        private static readonly string Held = $"('{Stored(DelegationStatus.Assigned)}', '{Stored(DelegationStatus.InProgress)}')";

        private static readonly string Agent = Stored(AssigneeType.Agent);

        private string Wi => n.Table<WorkItem>();

        private string Ta => n.Table<TaskAssignment>();

        private string History => n.ComplexColumn<WorkItem>(nameof(WorkItem.DelegationHistory));

        private string Payload => n.ComplexColumn<OrchestrationEvent>(nameof(OrchestrationEvent.Payload));

        private string EventColumns => $"{n.Table<OrchestrationEvent>()} ({E("OccurredAt")}, {E("Type")}, {E("ProjectId")}, {E("EntityType")}, {E("EntityId")}, {E("Actor")}, {Payload})";

        // Also picks the generic plan for the write that follows, in this batch's own transaction only (it never runs in a
        // caller's): the plan cache would plan it for its parameters on the first calls of each connection, and again
        // whenever its estimates came out the other way; its plan is the same for every lease (primary keys).
        // The lock itself is planned before that setting applies. Given the array as a parameter, the plan cache plans it
        // for each call's array (it knows its length, the generic plan guesses ten), finds that cheaper than the generic
        // plan and so plans it on every call; read through a sub-select the array is unknown to both, the estimates are
        // equal, and the generic plan is kept from the sixth call of a connection on.
        public string LockItems() => $"SELECT set_config('plan_cache_mode', 'force_generic_plan', true) FROM {Wi} WHERE {W("Id")} = ANY((SELECT @items)::uuid[]) ORDER BY {W("Id")} FOR NO KEY UPDATE";

        /// <summary>The completion, whose one row is <paramref name="result"/> over the done leases.</summary>
        public string Complete(string result) => $"""
            WITH {Leased()}, {QaGated()}, {AllDone()}, {CompletionWrites()}
            SELECT {result} FROM done
            """;

        public string Renew() => $"""
            WITH {Leased()}, renewed AS (
                UPDATE {Ta} t SET {T("LeaseExpiresAt")} = {Now} + (@duration_us * interval '1 microsecond'), {T("UpdatedAt")} = {Now}
                FROM leased l WHERE t.{T("Id")} = l.assignment_id
                RETURNING t.{T("AgentId")} AS agent_id, t.{T("LeaseExpiresAt")} AS expires
            ), events AS (
                INSERT INTO {EventColumns}
                SELECT {Now}, '{OrchestrationEventTypes.WorkItemLeaseRenewed}', l.project_id, 'work_item', l.id, r.agent_id::text,
                    jsonb_build_object('from', NULL, 'to', NULL, 'agent_id', r.agent_id, 'session_id', NULL, 'work_item_id', l.id, 'reason', NULL, 'data', '[]'::jsonb)
                FROM leased l CROSS JOIN renewed r
            )
            SELECT l.project_id, l.title, l.priority, r.expires FROM leased l CROSS JOIN renewed r
            """;

        // LeaseCheck.Ensure, stated as a filter: the item's current assignment is the lease's (id and token), the item is
        // held by that assignment's agent, the assignment is active and its lease (if any) has not expired.
        private string Leased() => $"""
            clock AS MATERIALIZED (
                SELECT coalesce(@now, clock_timestamp()) AS at
            ), requested AS (
                SELECT * FROM unnest(@items, @assignments, @tokens) AS r(item_id, assignment_id, token)
            ), leased AS (
                SELECT w.{W("Id")} AS id, w.{W("ProjectId")} AS project_id, w.{W("Title")} AS title, w.{W("Priority")} AS priority,
                       w.{W("Type")} AS type, w.{W("DelegationStatus")} AS from_status, w.{W("AssigneeId")} AS assignee_id,
                       w.{W("AssignedAgentId")} AS agent_id, w.{W("AssignedAgentSession")} AS session_id, w.{W("ActualHours")} AS actual_hours,
                       w.{History} AS history, cur.{T("Id")} AS assignment_id, cur.{T("Status")} AS assignment_status
                FROM requested r
                JOIN {Wi} w ON w.{W("Id")} = r.item_id
                JOIN {Ta} cur ON cur.{T("Id")} = w.{W("CurrentAssignmentId")}
                WHERE cur.{T("FencingToken")} = r.token AND cur.{T("Id")} = r.assignment_id
                  AND w.{W("AssigneeType")} = '{Agent}' AND w.{W("AssignedAgentId")} = cur.{T("AgentId")}
                  AND cur.{T("Status")} = ANY(@active)
                  AND (cur.{T("LeaseExpiresAt")} IS NULL OR cur.{T("LeaseExpiresAt")} > {Now})
            )
            """;

        // QaGate.EvaluateAsync: the level is the implementing session's (the policy's unknown-session level without one), and
        // each type the policy requires at that level needs a latest result (newest recorded, then highest id) that passes.
        private string QaGated() => $"""
            gated AS (
                SELECT l.*, coalesce((SELECT s.{S("OversightLevel")} FROM {n.Table<AgentSession>()} s WHERE s.{S("SessionId")} = l.session_id), @unknown_level) AS level
                FROM leased l
                WHERE l.from_status IN {Held}
            ), passing AS (
                SELECT g.* FROM gated g
                WHERE g.type NOT IN ('{Stored(WorkItemType.Task)}', '{Stored(WorkItemType.Bug)}') OR NOT EXISTS (
                    SELECT 1 FROM unnest(@required_levels, @required_types) AS req(level, qa_type)
                    WHERE req.level = g.level AND coalesce((
                        SELECT CASE q.{Q("Status")}
                                   WHEN '{Stored(QaResultStatus.Fail)}' THEN false
                                   WHEN '{Stored(QaResultStatus.Warning)}' THEN g.level = ANY(@warning_levels)
                                   ELSE true END
                        FROM {n.Table<QaResult>()} q
                        WHERE q.{Q("TaskId")} = g.id AND q.{Q("QaType")} = req.qa_type
                        ORDER BY q.{Q("RecordedAt")} DESC, q.{Q("Id")} DESC
                        LIMIT 1), false) = false)
            )
            """;

        // All or nothing: the leases that passed, only when every requested lease (each of a different item) did, with the
        // hours worked since work last (re)started.
        private static string AllDone() => $"""
            done AS (
                SELECT p.*,
                       CASE WHEN p.assignment_status IN ('{Stored(AssignmentStatus.Assigned)}', '{Stored(AssignmentStatus.Started)}') THEN (
                           -- The time since work last (re)started, added to actual_hours and rounded half to even like Math.Round.
                           SELECT (x - floor(x) = 0.5)::int * (floor(x) + mod(floor(x), 2)) / 100
                                  + (x - floor(x) <> 0.5)::int * round(x) / 100
                           FROM (SELECT (coalesce(p.actual_hours, 0) + extract(epoch FROM ({Now} - s.at)) / 3600) * 100 AS x
                                 FROM (SELECT (e->>'at')::timestamptz AS at
                                       FROM jsonb_array_elements(coalesce(p.history, '[]'::jsonb)) WITH ORDINALITY AS h(e, i)
                                       WHERE e->>'action' IN ('claim', 'start', 'resume', 'unblock')
                                       ORDER BY h.i DESC LIMIT 1) s
                                 WHERE {Now} > s.at) worked)
                       END AS worked_hours
                FROM passing p
                WHERE (SELECT count(DISTINCT id) FROM passing) = cardinality(@items) AND (SELECT count(DISTINCT item_id) FROM requested) = cardinality(@items)
            )
            """;

        // What completing writes for each done lease: the assignment completed, the item done with its history entry, and one
        // work_item.completed event per item, in item order.
        private string CompletionWrites() => $"""
            assignment_done AS (
                UPDATE {Ta} t SET {T("Status")} = '{Stored(AssignmentStatus.Completed)}', {T("CompletedAt")} = {Now}, {T("LeaseExpiresAt")} = NULL, {T("UpdatedAt")} = {Now}
                FROM done d WHERE t.{T("Id")} = d.assignment_id
            ), item_done AS (
                UPDATE {Wi} w SET {W("Status")} = '{Stored(WorkItemStatus.Done)}', {W("DelegationStatus")} = '{Stored(DelegationStatus.Completed)}', {W("UpdatedAt")} = {Now},
                    {W("ActualHours")} = coalesce(d.worked_hours, w.{W("ActualHours")}),
                    {History} = coalesce(w.{History}, '[]'::jsonb) || jsonb_build_array(jsonb_build_object(
                        'at', {AtText}, 'action', 'complete', 'from_status', d.from_status, 'to_status', '{Stored(DelegationStatus.Completed)}', 'assignee_type', '{Agent}',
                        'assignee_id', d.assignee_id, 'assignment_id', d.assignment_id, 'actor', d.assignee_id::text, 'note', NULL))
                FROM done d WHERE w.{W("Id")} = d.id
            ), events AS (
                INSERT INTO {EventColumns}
                SELECT {Now}, '{OrchestrationEventTypes.WorkItemCompleted}', d.project_id, 'work_item', d.id, d.assignee_id::text,
                    jsonb_build_object('from', d.from_status, 'to', '{Stored(DelegationStatus.Completed)}', 'agent_id', d.agent_id, 'session_id', d.session_id,
                        'work_item_id', d.id, 'reason', NULL, 'data', '[]'::jsonb)
                FROM done d ORDER BY d.id
            )
            """;

        private string W(string property) => n.Column<WorkItem>(property);

        private string T(string property) => n.Column<TaskAssignment>(property);

        private string E(string property) => n.Column<OrchestrationEvent>(property);

        private string S(string property) => n.Column<AgentSession>(property);

        private string Q(string property) => n.Column<QaResult>(property);
    }
}
