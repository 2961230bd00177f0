using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace AgentOrchestration.Data.PostgreSql.Claims;

/// <summary>
/// The PostgreSQL claim: one statement, one round trip, one commit. <c>FOR NO KEY UPDATE SKIP LOCKED</c> hands each candidate
/// row to exactly one claimer (PostgreSQL re-checks a locked row's conditions against its newest version, so an item
/// claimed meanwhile no longer qualifies; lapsed work locks its assignment row too, so a lease renewed meanwhile no
/// longer qualifies either); the assignment, the work item update, its history and the event are written by the same statement.
/// </summary>
internal static class PostgreSqlClaimStrategy
{
    private static readonly ConditionalWeakTable<IModel, ClaimSql> SqlByModel = [];

    public static async Task<IReadOnlyList<ClaimRow>> ClaimAsync(DbContext db, IOrchestrationProvider provider, ClaimRequest request, CancellationToken cancellationToken)
    {
        var sql = SqlByModel.GetValue(db.Model, _ => BuildSql(new StoreNames(db)));
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Inside the caller's transaction, under a savepoint: a unique violation (which aborts the transaction) rolls
            // back to it, so the claimer's retry and the caller's transaction go on.
            await using var joined = db.Database.CurrentTransaction is { } ambient
                ? await provider.JoinAsync(db, ambient, cancellationToken).ConfigureAwait(false)
                : null;

            // Two statements, one round trip, one implicit transaction: the first waits for the agent's row lock, so the
            // claim statement's snapshot is taken after any concurrent claim of the same agent has committed, and its
            // count of held assignments (the concurrency limit) is current.
            await using var batch = new NpgsqlBatch(connection)
            {
                Transaction = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction(),
            };
            if (request.SessionId is { } sessionId)
            {
                // Sessions lock their own row before the agent's (ending, reaping, heartbeats): the claim takes them in the
                // same order, so it never deadlocks with them, and its snapshot sees a session that ended meanwhile.
                var lockSession = new NpgsqlBatchCommand(sql.LockSession);
                lockSession.Parameters.Add(new NpgsqlParameter("session", NpgsqlDbType.Text) { Value = sessionId });
                batch.BatchCommands.Add(lockSession);
            }

            var lockAgent = new NpgsqlBatchCommand(sql.LockAgent);
            lockAgent.Parameters.Add(new NpgsqlParameter("agent", NpgsqlDbType.Uuid) { Value = request.AgentId });
            var command = new NpgsqlBatchCommand(sql.Claim);
            batch.BatchCommands.Add(lockAgent);
            batch.BatchCommands.Add(command);
            command.Parameters.Add(new NpgsqlParameter("agent", NpgsqlDbType.Uuid) { Value = request.AgentId });
            command.Parameters.Add(new NpgsqlParameter("project", NpgsqlDbType.Uuid) { Value = request.ProjectId });
            command.Parameters.Add(new NpgsqlParameter("max", NpgsqlDbType.Integer) { Value = request.AssignmentIds.Count });
            // Without an explicit clock the server's decides (null here): clients' clocks never judge a lease.
            command.Parameters.Add(new NpgsqlParameter("now", NpgsqlDbType.TimestampTz) { Value = request.Clock is { } clock ? UtcTimestampConverter.ToStore(clock.GetUtcNow()) : DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter("duration_us", NpgsqlDbType.Bigint) { Value = request.LeaseDuration.Ticks / TimeSpan.TicksPerMicrosecond });
            command.Parameters.Add(new NpgsqlParameter("actor", NpgsqlDbType.Text) { Value = request.Actor });
            command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = request.AssignmentIds.ToArray() });
            command.Parameters.Add(new NpgsqlParameter("key", NpgsqlDbType.Text) { Value = (object?)request.IdempotencyKey ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter("session", NpgsqlDbType.Text) { Value = (object?)request.SessionId ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter("request", NpgsqlDbType.Text) { Value = (object?)request.IdempotencyRequest ?? DBNull.Value });

            var rows = new List<ClaimRow>(request.AssignmentIds.Count);
            // Prepared whatever the connection string says (a no-op once this physical connection has it): planning the
            // claim costs more than running it.
            await batch.PrepareAsync(cancellationToken).ConfigureAwait(false);
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            for (var skip = batch.BatchCommands.Count - 1; skip > 0; skip--)
            {
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            }
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(new ClaimRow(reader.GetGuid(0), reader.GetGuid(1), reader.GetInt64(2), reader.GetString(3), reader.GetInt32(4), UtcTimestampConverter.FromStore(reader.GetDateTime(5))));
            }

            if (joined is not null)
            {
                await reader.DisposeAsync().ConfigureAwait(false);
                await joined.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            return rows;
        }
        finally
        {
            await db.Database.CloseConnectionAsync().ConfigureAwait(false);
        }
    }

    private static ClaimSql BuildSql(StoreNames n)
    {
        string W(string p) => n.Column<WorkItem>(p);
        string T(string p) => n.Column<TaskAssignment>(p);
        string A(string p) => n.Column<AgentProfile>(p);
        string C(string p) => n.Column<AgentCapability>(p);
        string D(string p) => n.Column<WorkItemDependency>(p);
        string E(string p) => n.Column<OrchestrationEvent>(p);
        string S(string p) => n.Column<AgentSession>(p);
        var wi = n.Table<WorkItem>();
        var ta = n.Table<TaskAssignment>();
        var active = "('assigned', 'started', 'paused')";

        var sessions = n.Table<AgentSession>();
        // What both claim branches select, and the readiness, order and lock they share.
        var columns = $"""
            SELECT w.{W("Id")} AS id, w.{W("ProjectId")} AS project_id, w.{W("Title")} AS title, w.{W("Priority")} AS priority,
                   w.{W("CreatedAt")} AS created_at, w.{W("DelegationStatus")} AS from_status, w.{W("CurrentAssignmentId")} AS old_assignment
            """;
        var readyInOrder = $"""
            AND (w.{W("RequiredCapabilities")} IS NULL OR w.{W("RequiredCapabilities")} <@ (SELECT names FROM caps))
              AND NOT EXISTS (
                  SELECT 1 FROM {n.Table<WorkItemDependency>()} d JOIN {wi} p ON p.{W("Id")} = d.{D("DependsOnId")}
                  WHERE d.{D("WorkItemId")} = w.{W("Id")} AND p.{W("Status")} <> 'done')
            ORDER BY w.{W("Priority")}, w.{W("CreatedAt")}, w.{W("Id")}
            LIMIT (SELECT n FROM limits)
            """;

        var lockAgent = $"SELECT 1 FROM {n.Table<AgentProfile>()} WHERE {A("Id")} = @agent FOR NO KEY UPDATE";
        var lockSession = $"SELECT 1 FROM {sessions} WHERE {S("SessionId")} = @session FOR NO KEY UPDATE";
        // Every time below is this statement's one reading of the clock (see the clock CTE).
        var now = "(SELECT at FROM clock)";
        // An interval of microseconds only (no days), so adding it is exact whatever the session's time zone does at DST.
        var duration = "(@duration_us * interval '1 microsecond')";
        var atText = $"to_char({now} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') || '0Z'";
        var claim = $"""
            WITH clock AS MATERIALIZED (
                -- The one reading of the clock this claim decides and stores every expiry by: the server's, once the agent
                -- (and session) locks are held, unless the host set its own clock.
                SELECT coalesce(@now, clock_timestamp()) AS at
            ), agent AS (
                SELECT a.{A("Id")} AS id, a.{A("MaxConcurrentTasks")} AS max_tasks
                FROM {n.Table<AgentProfile>()} a
                WHERE a.{A("Id")} = @agent AND a.{A("Status")} = 'active'
                FOR NO KEY UPDATE
            ), capacity AS (
                SELECT least(@max, agent.max_tasks - (
                    SELECT count(*) FROM {ta} t
                    WHERE t.{T("AgentId")} = agent.id AND t.{T("Status")} IN {active}
                      AND (t.{T("LeaseExpiresAt")} IS NULL OR t.{T("LeaseExpiresAt")} > {now})))::int AS free
                FROM agent
            ), session_ok AS (
                SELECT @session::text IS NULL OR EXISTS (
                    SELECT 1 FROM {sessions} s
                    WHERE s.{S("SessionId")} = @session AND s.{S("Status")} = 'active' AND s.{S("ProjectId")} = @project
                      AND (s.{S("AgentId")} IS NULL OR s.{S("AgentId")} = @agent)) AS ok
            ), caps AS (
                SELECT coalesce(array_agg(c.{C("Capability")}::text), ARRAY[]::text[]) AS names
                FROM {n.Table<AgentCapability>()} c WHERE c.{C("AgentId")} = @agent
            ), key_free AS (
                -- A key the agent already used (committed while this claim waited for the agent's lock) claims nothing:
                -- the claimer replays or refuses it. Compared byte for byte: the key itself, or a batch's key#n.
                SELECT @key::text IS NULL OR NOT EXISTS (
                    SELECT 1 FROM {ta} k
                    WHERE k.{T("AgentId")} = @agent
                      AND (k.{T("IdempotencyKey")} = @key OR left(k.{T("IdempotencyKey")}, length(@key) + 1) = @key || '#')) AS ok
            ), limits AS (
                SELECT CASE WHEN (SELECT ok FROM session_ok) AND (SELECT ok FROM key_free) THEN coalesce((SELECT greatest(free, 0) FROM capacity), 0) ELSE 0 END AS n
            ), fresh AS (
                -- Unassigned work in claim order: an ordered scan of ix_work_items_claim that stops after n ready rows,
                -- instead of reading, filtering and sorting every open item of the project before the limit.
                {columns}
                FROM {wi} w
                WHERE w.{W("ProjectId")} = @project AND w.{W("DelegationStatus")} = 'unassigned' AND w.{W("Status")} = 'todo'
                  AND w.{W("Type")} IN ('task', 'bug')
                  {readyInOrder}
                FOR NO KEY UPDATE OF w SKIP LOCKED
            ), lapsed AS (
                -- Held work whose lease expired: few rows (held items are bounded by the agents' limits). The lease is
                -- judged on the assignment row, which renewals and heartbeats update without touching the work item, so
                -- that row is locked too: PostgreSQL re-checks a locked row's conditions against its newest version only
                -- for the rows it locks, and a lease renewed after this statement's snapshot then no longer qualifies (a
                -- renewal still uncommitted holds the row, and the item is skipped).
                {columns}
                FROM {wi} w JOIN {ta} cur ON cur.{T("Id")} = w.{W("CurrentAssignmentId")}
                WHERE w.{W("ProjectId")} = @project AND w.{W("DelegationStatus")} IN ('assigned', 'in_progress') AND w.{W("Type")} IN ('task', 'bug')
                  AND cur.{T("Status")} IN {active} AND cur.{T("LeaseExpiresAt")} <= {now}
                  {readyInOrder}
                FOR NO KEY UPDATE OF w, cur SKIP LOCKED
            ), candidate AS (
                -- Both branches hold their rows locked until this statement commits; only the best n are claimed.
                SELECT c.* FROM (SELECT * FROM fresh UNION ALL SELECT * FROM lapsed) c
                ORDER BY c.priority, c.created_at, c.id
                LIMIT (SELECT n FROM limits)
            ), numbered AS (
                SELECT c.*, row_number() OVER (ORDER BY c.priority, c.created_at, c.id) AS rn FROM candidate c
            ), picked AS (
                SELECT n.id, n.project_id, n.title, n.priority, n.from_status, n.old_assignment, ids.assignment_id, n.rn,
                       coalesce((SELECT max(t.{T("FencingToken")}) FROM {ta} t WHERE t.{T("WorkItemId")} = n.id), 0) + 1 AS token
                FROM numbered n JOIN unnest(@ids) WITH ORDINALITY AS ids(assignment_id, rn) ON ids.rn = n.rn
            ), expired AS (
                -- The lapse was decided on the locked assignment row: whatever the item held ends here, so a claim never
                -- leaves the old holder's assignment active (its later writes fail their fencing check).
                UPDATE {ta} t SET {T("Status")} = 'cancelled', {T("CompletedAt")} = {now}, {T("Notes")} = 'lease expired',
                    {T("LeaseExpiresAt")} = NULL, {T("UpdatedAt")} = {now}
                FROM picked p WHERE t.{T("Id")} = p.old_assignment AND t.{T("Status")} IN {active}
            ), inserted AS (
                INSERT INTO {ta} ({T("Id")}, {T("WorkItemId")}, {T("AgentId")}, {T("AssignedAt")}, {T("Status")}, {T("LeaseExpiresAt")}, {T("FencingToken")}, {T("IdempotencyKey")}, {T("CreatedAt")}, {T("UpdatedAt")},
                    {T(ClaimIdempotency.RequestProperty)})
                SELECT p.assignment_id, p.id, @agent, {now}, 'assigned', {now} + {duration}, p.token,
                       CASE WHEN @key IS NULL THEN NULL WHEN @max = 1 THEN @key ELSE @key || '#' || (p.rn - 1) END, {now}, {now},
                       @request
                FROM picked p
            ), updated AS (
                UPDATE {wi} w SET {W("DelegationStatus")} = 'assigned', {W("Status")} = 'todo', {W("AssigneeType")} = 'agent',
                    {W("AssigneeId")} = @agent, {W("AssignedAgentId")} = @agent, {W("CurrentAssignmentId")} = p.assignment_id, {W("AssignedAgentSession")} = @session, {W("UpdatedAt")} = {now},
                    {n.ComplexColumn<WorkItem>("DelegationHistory")} = coalesce(w.{n.ComplexColumn<WorkItem>("DelegationHistory")}, '[]'::jsonb) || jsonb_build_array(jsonb_build_object(
                        'at', {atText}, 'action', 'claim', 'from_status', p.from_status, 'to_status', 'assigned', 'assignee_type', 'agent',
                        'assignee_id', @agent, 'assignment_id', p.assignment_id, 'actor', @actor, 'note', NULL))
                FROM picked p WHERE w.{W("Id")} = p.id
            ), session_task AS (
                UPDATE {sessions} s SET {S("TaskId")} = (SELECT p.id FROM picked p ORDER BY p.rn LIMIT 1)
                WHERE @session::text IS NOT NULL AND s.{S("SessionId")} = @session AND EXISTS (SELECT 1 FROM picked)
            ), events AS (
                INSERT INTO {n.Table<OrchestrationEvent>()} ({E("OccurredAt")}, {E("Type")}, {E("ProjectId")}, {E("EntityType")}, {E("EntityId")}, {E("Actor")}, {n.ComplexColumn<OrchestrationEvent>("Payload")})
                SELECT {now}, 'work_item.claimed', p.project_id, 'work_item', p.id, @actor,
                    jsonb_build_object('from', p.from_status, 'to', 'assigned', 'agent_id', @agent, 'session_id', @session::text, 'work_item_id', p.id, 'reason', NULL, 'data', '[]'::jsonb)
                FROM picked p
            )
            SELECT p.id, p.assignment_id, p.token, p.title, p.priority, {now} + {duration} AS expires FROM picked p ORDER BY p.priority, p.id
            """;
        return new ClaimSql(lockSession, lockAgent, claim);
    }

    private sealed record ClaimSql(string LockSession, string LockAgent, string Claim);
}
