using System.Globalization;
using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using static AgentOrchestration.Data.Sqlite.Claims.SqliteStatements;

namespace AgentOrchestration.Data.Sqlite.Claims;

/// <summary>
/// The SQLite writes of a lease holder as plain statements in one write transaction: complete (one lease or many) in
/// three, renew in two. The first statement makes the whole lease check of <see cref="LeaseCheck"/>, the state check and
/// the QA gate of <see cref="QaGate"/>, and writes only the leases that pass; when one does not, the transaction rolls
/// back and the caller takes the general path, which decides again under the same write lock and refuses with the
/// precise exception (so the fast path only ever does what the general one would).
/// </summary>
internal static class SqliteLeaseStrategy
{
    /// <summary>The SQL function that adds the hours worked since work last (re)started, exactly as the general path does.</summary>
    private const string WorkedHoursFunction = "ao_worked_hours";

    private static readonly ConditionalWeakTable<IModel, LeaseSql> SqlByModel = [];

    /// <summary>The connections the function is registered on (Microsoft.Data.Sqlite registers it again whenever one reopens).</summary>
    private static readonly ConditionalWeakTable<SqliteConnection, object> Registered = [];

    private static readonly string[] Starts = ["claim", "start", "resume", "unblock"];

    public static async Task<bool> TryCompleteAsync(DbContext db, IOrchestrationProvider provider, CompletionRequest request, CancellationToken cancellationToken)
    {
        var sql = For(SqlByModel, db, n => new LeaseSql(n));
        var leases = request.Leases;
        var policy = request.QaPolicy;
        var levels = Enum.GetValues<OversightLevel>();
        var required = levels.SelectMany(level => policy.RequiredTypes(level).Select(type => $"[\"{StoredEnum.ToStore(level)}\",\"{StoredEnum.ToStore(type)}\"]"));
        var leaseJson = "[" + string.Join(",", leases.Select(l => $"[\"{Id(l.WorkItemId)}\",\"{Id(l.AssignmentId)}\",{l.FencingToken}]")) + "]";

        await using var transaction = await BeginStatementsAsync(provider, db, "work-item", cancellationToken).ConfigureAwait(false);
        var now = Clock(request.Clock).GetUtcNow();
        var at = At(now);
        EnsureWorkedHoursFunction(Connection(db));

        int done;
        var complete = Command(db, sql.Complete).With("@leases", leaseJson).With("@now", at).With("@now_ticks", now.UtcTicks)
            .With("@unknown_level", StoredEnum.ToStore(policy.UnknownSessionLevel)).With("@required", "[" + string.Join(",", required) + "]")
            .With("@warning_levels", JsonArray(levels.Where(policy.WarningsPass).Select(l => StoredEnum.ToStore(l))));
        {
            done = await complete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (done != leases.Count)
        {
            // All or none: the rollback (on dispose) undoes the leases that passed.
            return false;
        }

        var assignments = Command(db, sql.AssignmentsDone).With("@leases", leaseJson).With("@now", at);
        {
            await assignments.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var events = Command(db, sql.CompletedEvents).With("@leases", leaseJson).With("@now", at);
        {
            await events.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public static async Task<ClaimedWork?> TryRenewAsync(DbContext db, IOrchestrationProvider provider, WorkLease lease, TimeSpan duration, TimeProvider? clock, CancellationToken cancellationToken)
    {
        var sql = For(SqlByModel, db, n => new LeaseSql(n));
        await using var transaction = await BeginStatementsAsync(provider, db, "work-item", cancellationToken).ConfigureAwait(false);
        var now = Clock(clock).GetUtcNow();
        var expires = now + duration;
        var at = At(now);
        var item = Id(lease.WorkItemId);

        Guid agentId;
        Guid projectId;
        string title;
        int priority;
        var renew = Command(db, sql.Renew)
            .With("@item", item).With("@assignment", Id(lease.AssignmentId)).With("@token", lease.FencingToken).With("@now", at).With("@expires", At(expires));
        {
            await using var reader = await renew.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            (agentId, projectId, title, priority) = (reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetInt32(3));
        }

        var renewed = Command(db, sql.RenewedEvent).With("@item", item).With("@now", at).With("@agent", Id(agentId)).With("@actor", agentId.ToString());
        {
            await renewed.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new ClaimedWork(lease, projectId, title, priority, expires);
    }

    private static TimeProvider Clock(TimeProvider? clock) =>
        clock ?? throw new InvalidOperationException("SQLite decides leases by the calling machine's clock.");

    private static void EnsureWorkedHoursFunction(SqliteConnection connection)
    {
        if (!Registered.TryGetValue(connection, out _))
        {
            connection.CreateFunction<string?, string?, long, string?>(WorkedHoursFunction, WorkedHours, isDeterministic: true);
            Registered.AddOrUpdate(connection, connection);
        }
    }

    /// <summary>
    /// <c>actual_hours</c> plus the time from <paramref name="since"/> (the last entry that (re)started work) to now, rounded
    /// as the general path rounds it (<c>Math.Round(decimal, 2)</c>), in the text EF Core stores decimals as; unchanged
    /// without a start or when no time passed.
    /// </summary>
    private static string? WorkedHours(string? actual, string? since, long nowTicks)
    {
        if (since is null)
        {
            return actual;
        }

        var start = new DateTimeOffset(DateTime.Parse(since, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal));
        var now = new DateTimeOffset(nowTicks, TimeSpan.Zero);
        if (now <= start)
        {
            return actual;
        }

        var hours = Math.Round((actual is null ? 0m : decimal.Parse(actual, NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture)) + (decimal)(now - start).TotalHours, 2);
        return hours.ToString("0.0###########################", CultureInfo.InvariantCulture);
    }

    /// <summary>The lease holder's statements, built once per model from its store names.</summary>
    private sealed class LeaseSql
    {
        public LeaseSql(StoreNames n)
        {
            var wi = n.Table<WorkItem>();
            var ta = n.Table<TaskAssignment>();
            string W(string property) => n.Column<WorkItem>(property);
            string T(string property) => n.Column<TaskAssignment>(property);
            string E(string property) => n.Column<OrchestrationEvent>(property);
            string Q(string property) => n.Column<QaResult>(property);
            var history = n.ComplexColumn<WorkItem>(nameof(WorkItem.DelegationHistory));
            var active = ReadyWorkRule.Sql.ActiveAssignmentList;
            var agent = ReadyWorkRule.Literal(AssigneeType.Agent);
            var completed = ReadyWorkRule.Literal(DelegationStatus.Completed);
            var eventColumns = $"{n.Table<OrchestrationEvent>()} ({E("OccurredAt")}, {E("Type")}, {E("ProjectId")}, {E("EntityType")}, {E("EntityId")}, {E("Actor")}, {n.ComplexColumn<OrchestrationEvent>("Payload")})";
            var items = "(SELECT json_extract(value, '$[0]') FROM json_each(@leases))";

            // leased: LeaseCheck.Ensure as a filter (the item's current assignment is the lease's, id and token; the item is
            // held by that assignment's agent; the assignment is active and its lease, if any, not expired) and the state
            // check (held work completes). The QA gate (QaGate.EvaluateAsync): the level is the implementing session's
            // (the policy's unknown-session level without one), and each type the policy requires at that level needs a
            // latest result (newest recorded, then highest id) that passes. SET reads the row as it was. The leases lead
            // the join (CROSS JOIN) and the assignment is found by its key (+status is no index): otherwise SQLite read
            // every active assignment through its status index and parsed the leases' JSON again for each.
            Complete = $"""
                UPDATE {wi} SET {W("Status")} = {ReadyWorkRule.Literal(WorkItemStatus.Done)}, {W("DelegationStatus")} = {completed}, {W("UpdatedAt")} = @now,
                    {W("ActualHours")} = CASE WHEN l.assignment_status IN ({ReadyWorkRule.Literal(AssignmentStatus.Assigned)}, {ReadyWorkRule.Literal(AssignmentStatus.Started)})
                        THEN {WorkedHoursFunction}({wi}.{W("ActualHours")}, (
                            SELECT json_extract(h.value, '$.at') FROM json_each({wi}.{history}) h
                            WHERE json_extract(h.value, '$.action') IN ({string.Join(", ", Starts.Select(s => $"'{s}'"))})
                            ORDER BY h.key DESC LIMIT 1), @now_ticks)
                        ELSE {wi}.{W("ActualHours")} END,
                    {history} = json_insert(coalesce({wi}.{history}, '[]'), '$[#]', json_object(
                        'action', 'complete', 'actor', lower({wi}.{W("AssigneeId")}), 'assignee_id', {wi}.{W("AssigneeId")}, 'assignee_type', {wi}.{W("AssigneeType")},
                        'assignment_id', {wi}.{W("CurrentAssignmentId")}, 'at', @now, 'from_status', {wi}.{W("DelegationStatus")}, 'note', NULL, 'to_status', {completed}))
                FROM (
                    SELECT w.{W("Id")} AS item_id, w.{W("Type")} AS type, cur.{T("Status")} AS assignment_status,
                           coalesce((SELECT s.{n.Column<AgentSession>("OversightLevel")} FROM {n.Table<AgentSession>()} s
                                     WHERE s.{n.Column<AgentSession>("SessionId")} = w.{W("AssignedAgentSession")}), @unknown_level) AS level
                    FROM json_each(@leases) r
                    CROSS JOIN {wi} w ON w.{W("Id")} = json_extract(r.value, '$[0]')
                    CROSS JOIN {ta} cur ON cur.{T("Id")} = w.{W("CurrentAssignmentId")}
                    WHERE cur.{T("Id")} = json_extract(r.value, '$[1]') AND cur.{T("FencingToken")} = json_extract(r.value, '$[2]')
                      AND w.{W("AssigneeType")} = {agent} AND w.{W("AssignedAgentId")} = cur.{T("AgentId")}
                      AND +cur.{T("Status")} IN {active} AND (cur.{T("LeaseExpiresAt")} IS NULL OR cur.{T("LeaseExpiresAt")} > @now)
                      AND w.{W("DelegationStatus")} IN {ReadyWorkRule.Sql.HeldList}
                ) l
                WHERE {wi}.{W("Id")} = l.item_id
                  AND (l.type NOT IN ({ReadyWorkRule.Literal(WorkItemType.Task)}, {ReadyWorkRule.Literal(WorkItemType.Bug)}) OR NOT EXISTS (
                      SELECT 1 FROM json_each(@required) req
                      WHERE json_extract(req.value, '$[0]') = l.level AND coalesce((
                          SELECT CASE q.{Q("Status")}
                                     WHEN {ReadyWorkRule.Literal(QaResultStatus.Fail)} THEN 0
                                     WHEN {ReadyWorkRule.Literal(QaResultStatus.Warning)} THEN l.level IN (SELECT value FROM json_each(@warning_levels))
                                     ELSE 1 END
                          FROM {n.Table<QaResult>()} q
                          WHERE q.{Q("TaskId")} = l.item_id AND q.{Q("QaType")} = json_extract(req.value, '$[1]')
                          ORDER BY q.{Q("RecordedAt")} DESC, q.{Q("Id")} DESC
                          LIMIT 1), 0) = 0))
                """;

            AssignmentsDone = $"""
                UPDATE {ta} SET {T("Status")} = {ReadyWorkRule.Literal(AssignmentStatus.Completed)}, {T("CompletedAt")} = @now, {T("LeaseExpiresAt")} = NULL, {T("UpdatedAt")} = @now
                WHERE {T("Id")} IN (SELECT json_extract(value, '$[1]') FROM json_each(@leases))
                """;

            // One work_item.completed event per item, in item order (the general path's order); from is the history's.
            CompletedEvents = $"""
                INSERT INTO {eventColumns}
                SELECT @now, '{OrchestrationEventTypes.WorkItemCompleted}', w.{W("ProjectId")}, 'work_item', w.{W("Id")}, lower(w.{W("AssigneeId")}),
                       json_object('agent_id', w.{W("AssignedAgentId")}, 'from', json_extract(w.{history}, '$[#-1].from_status'), 'reason', NULL,
                           'session_id', w.{W("AssignedAgentSession")}, 'to', {completed}, 'work_item_id', w.{W("Id")}, 'data', json_array())
                FROM {wi} w WHERE w.{W("Id")} IN {items}
                ORDER BY w.{W("Id")}
                """;

            // The same lease check as Complete's, on the assignment row.
            Renew = $"""
                UPDATE {ta} SET {T("LeaseExpiresAt")} = @expires, {T("UpdatedAt")} = @now
                WHERE {T("Id")} = @assignment AND {T("FencingToken")} = @token AND {T("Status")} IN {active}
                  AND ({T("LeaseExpiresAt")} IS NULL OR {T("LeaseExpiresAt")} > @now)
                  AND EXISTS (
                      SELECT 1 FROM {wi} w
                      WHERE w.{W("Id")} = @item AND w.{W("CurrentAssignmentId")} = {ta}.{T("Id")}
                        AND w.{W("AssigneeType")} = {agent} AND w.{W("AssignedAgentId")} = {ta}.{T("AgentId")})
                RETURNING {T("AgentId")},
                    (SELECT w.{W("ProjectId")} FROM {wi} w WHERE w.{W("Id")} = @item),
                    (SELECT w.{W("Title")} FROM {wi} w WHERE w.{W("Id")} = @item),
                    (SELECT w.{W("Priority")} FROM {wi} w WHERE w.{W("Id")} = @item)
                """;

            RenewedEvent = $"""
                INSERT INTO {eventColumns}
                SELECT @now, '{OrchestrationEventTypes.WorkItemLeaseRenewed}', w.{W("ProjectId")}, 'work_item', w.{W("Id")}, @actor,
                       json_object('agent_id', @agent, 'from', NULL, 'reason', NULL, 'session_id', NULL, 'to', NULL, 'work_item_id', w.{W("Id")}, 'data', json_array())
                FROM {wi} w WHERE w.{W("Id")} = @item
                """;
        }

        public string Complete { get; }

        public string AssignmentsDone { get; }

        public string CompletedEvents { get; }

        public string Renew { get; }

        public string RenewedEvent { get; }
    }
}
