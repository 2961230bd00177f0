using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using static AgentOrchestration.Data.Sqlite.Claims.SqliteStatements;

namespace AgentOrchestration.Data.Sqlite.Claims;

/// <summary>
/// The SQLite claim: one write transaction (<c>BEGIN IMMEDIATE</c>, so no other writer runs until it commits) of three
/// plain statements on EF Core's connection: the assignments, inserted for the best ready items with every check of the
/// claim in the statement (<see cref="ReadyWorkRule"/>, the agent, its limit, its key and its session); the items' claim
/// with their history; their events. A claim that takes over lapsed work also ends the old assignments, and one made
/// through a session records the task on it: one statement more each, only then.
/// </summary>
internal static class SqliteClaimStrategy
{
    private static readonly ConditionalWeakTable<IModel, ClaimSql> SqlByModel = [];

    public static async Task<IReadOnlyList<ClaimRow>> ClaimAsync(DbContext db, IOrchestrationProvider provider, ClaimRequest request, CancellationToken cancellationToken)
    {
        var sql = For(SqlByModel, db, n => new ClaimSql(n));
        Tracking.Reset(db);
        await using var transaction = await BeginStatementsAsync(provider, db, LockScope.Claims.Name, cancellationToken).ConfigureAwait(false);

        // Read once the write lock is held: every expiry this claim judges or stores is by this one reading.
        var now = (request.Clock ?? throw new InvalidOperationException("A SQLite claim decides by the calling machine's clock.")).GetUtcNow();
        var expires = now + request.LeaseDuration;
        var at = At(now);
        var agent = Id(request.AgentId);

        var picked = new List<Picked>(request.AssignmentIds.Count);
        var insert = Command(db, sql.Assign)
            .With("@agent", agent).With("@project", Id(request.ProjectId)).With("@max", request.AssignmentIds.Count).With("@now", at).With("@expires", At(expires))
            .With("@ids", JsonArray(request.AssignmentIds.Select(Id)))
            .With("@key", request.IdempotencyKey).With("@session", request.SessionId).With("@request", request.IdempotencyRequest);
        {
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                picked.Add(new Picked(
                    reader.GetGuid(0), reader.GetGuid(1), reader.GetInt64(2), reader.GetString(3), reader.GetInt32(4), reader.IsDBNull(5) ? null : reader.GetString(5)));
            }
        }

        if (picked.Count == 0)
        {
            return [];
        }

        // Claim order is the order of the pre-generated ids the statement numbered the items with.
        picked.Sort((a, b) => IndexOf(request, a.AssignmentId).CompareTo(IndexOf(request, b.AssignmentId)));
        var assigned = JsonArray(picked.Select(p => Id(p.AssignmentId)));
        if (picked.Any(p => p.OldAssignment is not null))
        {
            // Whatever the item held ends here (a lease that ran out): the old holder's later writes fail their fencing check.
            await ExecuteAsync(Command(db, sql.ExpireOld).With("@now", at).With("@old", JsonArray(picked.Select(p => p.OldAssignment).OfType<string>())), cancellationToken)
                .ConfigureAwait(false);
        }

        await ExecuteAsync(Command(db, sql.Claim)
            .With("@agent", agent).With("@now", at).With("@actor", request.Actor).With("@session", request.SessionId).With("@assigned", assigned), cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(Command(db, sql.Events)
            .With("@agent", agent).With("@now", at).With("@actor", request.Actor).With("@session", request.SessionId).With("@assigned", assigned), cancellationToken).ConfigureAwait(false);
        if (request.SessionId is { } sessionId)
        {
            await ExecuteAsync(Command(db, sql.SessionTask).With("@session", sessionId).With("@task", Id(picked[0].WorkItemId)), cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return picked.ConvertAll(p => new ClaimRow(p.WorkItemId, p.AssignmentId, p.FencingToken, p.Title, p.Priority, expires));
    }

    private static int IndexOf(ClaimRequest request, Guid assignmentId)
    {
        for (var i = 0; i < request.AssignmentIds.Count; i++)
        {
            if (request.AssignmentIds[i] == assignmentId)
            {
                return i;
            }
        }

        return -1;
    }

    private static Task<int> ExecuteAsync(Microsoft.Data.Sqlite.SqliteCommand command, CancellationToken cancellationToken) =>
        command.ExecuteNonQueryAsync(cancellationToken);

    /// <summary>What the assignment statement returns for one claimed item; <c>OldAssignment</c> is the item's current assignment while still active (lapsed work taken over), stored form.</summary>
    private sealed record Picked(Guid AssignmentId, Guid WorkItemId, long FencingToken, string Title, int Priority, string? OldAssignment);

    /// <summary>The claim's statements, built once per model from its store names.</summary>
    private sealed class ClaimSql
    {
        public ClaimSql(StoreNames n)
        {
            var ready = new ReadyWorkRule.Sql(n);
            var wi = n.Table<WorkItem>();
            var ta = n.Table<TaskAssignment>();
            string W(string property) => n.Column<WorkItem>(property);
            string T(string property) => n.Column<TaskAssignment>(property);
            string A(string property) => n.Column<AgentProfile>(property);
            string E(string property) => n.Column<OrchestrationEvent>(property);
            var order = ReadyWorkRule.Sql.ClaimOrder(p => $"c.{W(p)}");
            var readyInOrder = $"""
                AND {ready.CapableOfAgentJson("w", "@agent")}
                  AND {ready.DependenciesDone("w")}
                ORDER BY {ReadyWorkRule.Sql.ClaimOrder(p => $"w.{W(p)}")}
                LIMIT (SELECT coalesce(max(n), 0) FROM limits)
                """;
            var columns = $"w.{W("Id")}, w.{W("Priority")}, w.{W("CreatedAt")}";

            // How many the agent may take (0 when refused: inactive, its key already bound while this claim waited for the
            // write lock, its session unfit), the best that many claimable items in claim order, and their assignments,
            // each with the next fencing token of its item. RETURNING reads the items before the next statement claims them
            // (the old assignment by its key: +status keeps SQLite from reading every active assignment by status instead).
            Assign = $"""
                WITH limits AS (
                    SELECT CASE
                        WHEN (@session IS NULL OR EXISTS (
                                SELECT 1 FROM {n.Table<AgentSession>()} s
                                WHERE s.{n.Column<AgentSession>("SessionId")} = @session AND {ImplementingSession.MayImplementSql(n, "s", "@project", "@agent")}))
                         AND (@key IS NULL OR NOT EXISTS (
                                -- The key itself, or a batch's key#n (a range, so the agent's key index answers it).
                                SELECT 1 FROM {ta} k
                                WHERE k.{T("AgentId")} = @agent
                                  AND (k.{T("IdempotencyKey")} = @key OR (k.{T("IdempotencyKey")} >= @key || '#' AND k.{T("IdempotencyKey")} < @key || '$'))))
                        THEN max(0, min(@max, a.{A("MaxConcurrentTasks")} - (
                            SELECT count(*) FROM {ta} t
                            WHERE t.{T("AgentId")} = a.{A("Id")} AND t.{T("Status")} IN {ReadyWorkRule.Sql.ActiveAssignmentList}
                              AND (t.{T("LeaseExpiresAt")} IS NULL OR t.{T("LeaseExpiresAt")} > @now))))
                        ELSE 0 END AS n
                    FROM {n.Table<AgentProfile>()} a
                    WHERE a.{A("Id")} = @agent AND a.{A("Status")} = {ReadyWorkRule.Literal(AgentStatus.Active)}
                ), fresh AS (
                    -- Unassigned work: an ordered scan of ix_work_items_claim that stops after n claimable rows.
                    SELECT {columns}, NULL AS old_assignment
                    FROM {wi} w
                    WHERE w.{W("ProjectId")} = @project AND {ready.UnassignedTodo("w")} AND {ready.ClaimableType("w")}
                      {readyInOrder}
                ), lapsed AS (
                    -- Held work whose lease ran out, found from the expired leases (few: claims take them over) through
                    -- ix_task_assignments_active_lease; CROSS JOIN keeps SQLite from reading every held item of the project
                    -- through ix_work_items_claim instead (what ANALYZE's statistics make it prefer) and sorting them.
                    SELECT {columns}, cur.{T("Id")} AS old_assignment
                    FROM {ta} cur CROSS JOIN {wi} w ON w.{W("CurrentAssignmentId")} = cur.{T("Id")}
                    WHERE cur.{T("Status")} IN {ReadyWorkRule.Sql.ActiveAssignmentList} AND cur.{T("LeaseExpiresAt")} <= @now
                      AND w.{W("ProjectId")} = @project AND {ready.ClaimableType("w")} AND {ready.Lapsed("w", "cur", "@now")}
                      {readyInOrder}
                ), picked AS (
                    SELECT c.{W("Id")} AS id, c.old_assignment, row_number() OVER (ORDER BY {order}) AS rn
                    FROM (SELECT * FROM fresh UNION ALL SELECT * FROM lapsed) c
                    ORDER BY {order}
                    LIMIT (SELECT coalesce(max(n), 0) FROM limits)
                )
                INSERT INTO {ta} ({T("Id")}, {T("WorkItemId")}, {T("AgentId")}, {T("AssignedAt")}, {T("Status")}, {T("LeaseExpiresAt")}, {T("FencingToken")}, {T("IdempotencyKey")},
                    {T("CreatedAt")}, {T("UpdatedAt")}, {T(ClaimIdempotency.RequestProperty)})
                SELECT json_extract(@ids, '$[' || (p.rn - 1) || ']'), p.id, @agent, @now, {ReadyWorkRule.Literal(AssignmentStatus.Assigned)}, @expires,
                       coalesce((SELECT max(t.{T("FencingToken")}) FROM {ta} t WHERE t.{T("WorkItemId")} = p.id), 0) + 1,
                       CASE WHEN @key IS NULL THEN NULL WHEN @max = 1 THEN @key ELSE @key || '#' || (p.rn - 1) END, @now, @now, @request
                FROM picked p
                RETURNING {T("Id")}, {T("WorkItemId")}, {T("FencingToken")},
                    (SELECT i.{W("Title")} FROM {wi} i WHERE i.{W("Id")} = {ta}.{T("WorkItemId")}),
                    (SELECT i.{W("Priority")} FROM {wi} i WHERE i.{W("Id")} = {ta}.{T("WorkItemId")}),
                    (SELECT o.{T("Id")} FROM {wi} i CROSS JOIN {ta} o ON o.{T("Id")} = i.{W("CurrentAssignmentId")}
                     WHERE i.{W("Id")} = {ta}.{T("WorkItemId")} AND +o.{T("Status")} IN {ReadyWorkRule.Sql.ActiveAssignmentList})
                """;

            ExpireOld = $"""
                UPDATE {ta} SET {T("Status")} = {ReadyWorkRule.Literal(AssignmentStatus.Cancelled)}, {T("CompletedAt")} = @now, {T("Notes")} = 'lease expired',
                    {T("LeaseExpiresAt")} = NULL, {T("UpdatedAt")} = @now
                WHERE {T("Id")} IN (SELECT value FROM json_each(@old)) AND {T("Status")} IN {ReadyWorkRule.Sql.ActiveAssignmentList}
                """;

            // Claiming.Apply's writes: SET reads the row as it was, so from_status is the status the claim took the item from.
            var history = n.ComplexColumn<WorkItem>(nameof(WorkItem.DelegationHistory));
            Claim = $"""
                UPDATE {wi} SET {W("DelegationStatus")} = {ReadyWorkRule.Literal(DelegationStatus.Assigned)}, {W("Status")} = {ReadyWorkRule.Literal(WorkItemStatus.Todo)},
                    {W("AssigneeType")} = {ReadyWorkRule.Literal(AssigneeType.Agent)}, {W("AssigneeId")} = @agent, {W("AssignedAgentId")} = @agent,
                    {W("CurrentAssignmentId")} = t.{T("Id")}, {W("AssignedAgentSession")} = @session, {W("UpdatedAt")} = @now,
                    {history} = json_insert(coalesce({wi}.{history}, '[]'), '$[#]', json_object(
                        'action', 'claim', 'actor', @actor, 'assignee_id', @agent, 'assignee_type', {ReadyWorkRule.Literal(AssigneeType.Agent)},
                        'assignment_id', t.{T("Id")}, 'at', @now, 'from_status', {wi}.{W("DelegationStatus")}, 'note', NULL,
                        'to_status', {ReadyWorkRule.Literal(DelegationStatus.Assigned)}))
                FROM {ta} t
                WHERE t.{T("Id")} IN (SELECT value FROM json_each(@assigned)) AND {wi}.{W("Id")} = t.{T("WorkItemId")}
                """;

            // One work_item.claimed event per item, in claim order; the status it left is the last history entry's. The
            // items are reached by primary keys (the new assignment's, then its item's), in that order (CROSS JOIN):
            // through ix_work_items_current_assignment_id, a plan compiled while most items had no assignment (a fresh
            // backlog, analyzed) scanned the whole table for each claim.
            Events = $"""
                INSERT INTO {n.Table<OrchestrationEvent>()} ({E("OccurredAt")}, {E("Type")}, {E("ProjectId")}, {E("EntityType")}, {E("EntityId")}, {E("Actor")}, {n.ComplexColumn<OrchestrationEvent>("Payload")})
                SELECT @now, '{OrchestrationEventTypes.WorkItemClaimed}', w.{W("ProjectId")}, 'work_item', w.{W("Id")}, @actor,
                       json_object('agent_id', @agent, 'from', json_extract(w.{history}, '$[#-1].from_status'), 'reason', NULL, 'session_id', @session,
                           'to', {ReadyWorkRule.Literal(DelegationStatus.Assigned)}, 'work_item_id', w.{W("Id")}, 'data', json_array())
                FROM json_each(@assigned) a
                CROSS JOIN {ta} t ON t.{T("Id")} = a.value
                CROSS JOIN {wi} w ON w.{W("Id")} = t.{T("WorkItemId")} AND w.{W("CurrentAssignmentId")} = t.{T("Id")}
                ORDER BY a.key
                """;

            SessionTask = $"UPDATE {n.Table<AgentSession>()} SET {n.Column<AgentSession>("TaskId")} = @task WHERE {n.Column<AgentSession>("SessionId")} = @session";
        }

        public string Assign { get; }

        public string ExpireOld { get; }

        public string Claim { get; }

        public string Events { get; }

        public string SessionTask { get; }
    }
}
