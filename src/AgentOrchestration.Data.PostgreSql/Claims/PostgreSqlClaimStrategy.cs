using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.PostgreSql.Storage;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Storage;
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
            // Outside one, a READ COMMITTED transaction of its own on a session whose default isolation is stricter (see SessionIsolation).
            var own = db.Database.CurrentTransaction is null;
            await using var joined = db.Database.CurrentTransaction is { } ambient
                ? await provider.JoinAsync(db, ambient, cancellationToken).ConfigureAwait(false)
                : await SessionIsolation.PinReadCommittedAsync(db, cancellationToken).ConfigureAwait(false);

            // Two statements, one round trip, one implicit transaction: the first waits for the agent's row lock, so the
            // claim statement's snapshot is taken after any concurrent claim of the same agent has committed, and its
            // count of held assignments (the concurrency limit) is current.
            var commands = new List<NpgsqlBatchCommand>(3);
            if (request.SessionId is { } sessionId)
            {
                // Sessions lock their own row before the agent's (ending, reaping, heartbeats): the claim takes them in the
                // same order, so it never deadlocks with them, and its snapshot sees a session that ended meanwhile.
                var lockSession = new NpgsqlBatchCommand(sql.LockSession);
                lockSession.Parameters.Add(new NpgsqlParameter("session", NpgsqlDbType.Text) { Value = sessionId });
                commands.Add(lockSession);
            }

            // Outside a caller's transaction the lock also picks the claim's generic plan (see BuildSql); inside one, the
            // setting would outlive the claim, so there the plan cache decides as it does for the caller's own statements.
            var lockAgent = new NpgsqlBatchCommand(joined is null ? sql.LockAgentGenericPlan : sql.LockAgent);
            lockAgent.Parameters.Add(new NpgsqlParameter("agent", NpgsqlDbType.Uuid) { Value = request.AgentId });
            var command = new NpgsqlBatchCommand(sql.Claim);
            commands.Add(lockAgent);
            commands.Add(command);
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
            var batch = await PreparedBatches.BindAsync(connection, commands, (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction(), cancellationToken).ConfigureAwait(false);
            if (joined is null)
            {
                // The batch commits by itself: a fault from here on may come after its commit.
                Data.Faults.FaultAttempt.Committing();
            }

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
                if (own)
                {
                    Data.Faults.FaultAttempt.Committing();
                }

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
        var lockAgent = $"SELECT 1 FROM {n.Table<AgentProfile>()} WHERE {n.Column<AgentProfile>("Id")} = @agent FOR NO KEY UPDATE";

        // PostgreSQL's plan cache plans a prepared statement afresh on every call while the generic plan's estimate is
        // above the custom plans' (which know the parameters): for the claim it always is, so a prepared claim was still
        // planned on every call, and planning its many steps cost more than running them. Its plan is the same for every
        // agent and project (index scans by key and by claim order), so it takes the generic plan, made once per
        // connection. set_config(..., true) lasts until the batch's own transaction ends, and the server applies it
        // before it binds the claim, the next statement of the batch.
        var lockAgentGenericPlan = $"SELECT set_config('plan_cache_mode', 'force_generic_plan', true) FROM {n.Table<AgentProfile>()} WHERE {n.Column<AgentProfile>("Id")} = @agent FOR NO KEY UPDATE";
        var lockSession = $"SELECT 1 FROM {n.Table<AgentSession>()} WHERE {n.Column<AgentSession>("SessionId")} = @session FOR NO KEY UPDATE";
        var statement = new ClaimStatement(n);
        var claim = $"""
            WITH {statement.Limits()},
            {statement.Candidates()},
            {statement.Writes()}
            {ClaimStatement.Result()}
            """;
        return new ClaimSql(lockSession, lockAgent, lockAgentGenericPlan, claim);
    }

    private sealed record ClaimSql(string LockSession, string LockAgent, string LockAgentGenericPlan, string Claim);

    /// <summary>
    /// The claim statement in its three steps, each a run of CTEs: how many items the agent may take (<see cref="Limits"/>),
    /// which ones (<see cref="Candidates"/>, by <see cref="ReadyWorkRule"/>), and what claiming them writes (<see cref="Writes"/>).
    /// </summary>
    private sealed class ClaimStatement(StoreNames n)
    {
        // Every time below is this statement's one reading of the clock (see the clock CTE).
        private const string Now = "(SELECT at FROM clock)";

        // An interval of microseconds only (no days), so adding it is exact whatever the session's time zone does at DST.
        private const string Duration = "(@duration_us * interval '1 microsecond')";

        private readonly ReadyWorkRule.Sql ready = new(n);
        private readonly string wi = n.Table<WorkItem>();
        private readonly string ta = n.Table<TaskAssignment>();
        private readonly string sessions = n.Table<AgentSession>();

        /// <summary>clock, agent, capacity, session_ok, caps, key_free, limits: <c>limits.n</c> is how many items to claim (0 when refused).</summary>
        public string Limits() => $"""
            clock AS MATERIALIZED (
                -- The one reading of the clock this claim decides and stores every expiry by: the server's, once the agent
                -- (and session) locks are held, unless the host set its own clock.
                SELECT coalesce(@now, clock_timestamp()) AS at
            ), agent AS (
                SELECT a.{A("Id")} AS id, a.{A("MaxConcurrentTasks")} AS max_tasks
                FROM {n.Table<AgentProfile>()} a
                WHERE a.{A("Id")} = @agent AND a.{A("Status")} = {ReadyWorkRule.Literal(AgentStatus.Active)}
                FOR NO KEY UPDATE
            ), capacity AS (
                SELECT least(@max, agent.max_tasks - (
                    SELECT count(*) FROM {ta} t
                    WHERE t.{T("AgentId")} = agent.id AND t.{T("Status")} IN {ReadyWorkRule.Sql.ActiveAssignmentList}
                      AND (t.{T("LeaseExpiresAt")} IS NULL OR t.{T("LeaseExpiresAt")} > {Now})))::int AS free
                FROM agent
            ), session_ok AS (
                SELECT @session::text IS NULL OR EXISTS (
                    SELECT 1 FROM {sessions} s
                    WHERE s.{S("SessionId")} = @session AND {ImplementingSession.MayImplementSql(n, "s", "@project", "@agent")}) AS ok
            ), caps AS (
                SELECT coalesce(array_agg(c.{C("Capability")}::text), ARRAY[]::text[]) AS names
                FROM {n.Table<AgentCapability>()} c WHERE c.{C("AgentId")} = @agent
            ), key_free AS (
                -- A key the agent already used (committed while this claim waited for the agent's lock) claims nothing:
                -- the claimer replays or refuses it. Such a claim wrote the key itself (one item) or key#0 first (a batch;
                -- a key never holds '#'), so two probes of the unique (agent, key) index find it, compared byte for byte,
                -- however many assignments the agent has. Keys used before this call began, whatever their item count,
                -- the claimer's replay (ClaimIdempotency.FindAsync) found before sending this statement.
                SELECT @key::text IS NULL OR NOT EXISTS (
                    SELECT 1 FROM {ta} k
                    WHERE k.{T("AgentId")} = @agent AND k.{T("IdempotencyKey")} IN (@key, @key || '#0')) AS ok
            ), limits AS (
                SELECT CASE WHEN (SELECT ok FROM session_ok) AND (SELECT ok FROM key_free) THEN coalesce((SELECT greatest(free, 0) FROM capacity), 0) ELSE 0 END AS n
            )
            """;

        /// <summary>fresh, lapsed, candidate, numbered, picked: the items to claim, locked, numbered in claim order, with their new assignment ids and fencing tokens.</summary>
        public string Candidates() => $"""
            fresh AS (
                -- Unassigned work in claim order: an ordered scan of ix_work_items_claim that stops after n ready rows,
                -- instead of reading, filtering and sorting every open item of the project before the limit.
                {Columns}
                FROM {wi} w
                WHERE w.{W("ProjectId")} = @project AND {ready.UnassignedTodo("w")}
                  AND {ready.ClaimableType("w")}
                  {ReadyInOrder}
                FOR NO KEY UPDATE OF w SKIP LOCKED
            ), lapsed AS (
                -- Held work whose lease expired, found from the leases that lapsed (ix_task_assignments_active_lease holds
                -- only active assignments, by expiry): the items of those, never every held item of the project, which
                -- is most of the work in flight. The lease is judged on the assignment row, which renewals and heartbeats
                -- update without touching the work item, so that row is locked too: PostgreSQL re-checks a locked row's
                -- conditions against its newest version only for the rows it locks, and a lease renewed after this
                -- statement's snapshot then no longer qualifies (a renewal still uncommitted holds the row, and the item
                -- is skipped).
                {Columns}
                FROM {wi} w JOIN {ta} cur ON cur.{T("Id")} = w.{W("CurrentAssignmentId")}
                WHERE w.{W("Id")} = ANY (ARRAY(
                        SELECT l.{T("WorkItemId")} FROM {ta} l
                        WHERE l.{T("Status")} IN {ReadyWorkRule.Sql.ActiveAssignmentList} AND l.{T("LeaseExpiresAt")} <= {Now}))
                  AND w.{W("ProjectId")} = @project AND {ready.ClaimableType("w")}
                  AND {ready.Lapsed("w", "cur", Now)}
                  {ReadyInOrder}
                FOR NO KEY UPDATE OF w, cur SKIP LOCKED
            ), candidate AS (
                -- Both branches hold their rows locked until this statement commits; only the best n are claimed.
                SELECT c.* FROM (SELECT * FROM fresh UNION ALL SELECT * FROM lapsed) c
                ORDER BY {ProjectedOrder("c")}
                LIMIT (SELECT n FROM limits)
            ), numbered AS (
                SELECT c.*, row_number() OVER (ORDER BY {ProjectedOrder("c")}) AS rn FROM candidate c
            ), picked AS (
                SELECT n.id, n.project_id, n.title, n.priority, n.from_status, n.old_assignment, ids.assignment_id, n.rn,
                       coalesce((SELECT max(t.{T("FencingToken")}) FROM {ta} t WHERE t.{T("WorkItemId")} = n.id), 0) + 1 AS token
                FROM numbered n JOIN unnest(@ids) WITH ORDINALITY AS ids(assignment_id, rn) ON ids.rn = n.rn
            )
            """;

        /// <summary>expired, inserted, updated, session_task, events: what claiming the picked items writes.</summary>
        public string Writes() => $"""
            expired AS (
                -- The lapse was decided on the locked assignment row: whatever the item held ends here, so a claim never
                -- leaves the old holder's assignment active (its later writes fail their fencing check).
                UPDATE {ta} t SET {T("Status")} = {ReadyWorkRule.Literal(AssignmentStatus.Cancelled)}, {T("CompletedAt")} = {Now}, {T("Notes")} = 'lease expired',
                    {T("LeaseExpiresAt")} = NULL, {T("UpdatedAt")} = {Now}
                FROM picked p WHERE t.{T("Id")} = p.old_assignment AND t.{T("Status")} IN {ReadyWorkRule.Sql.ActiveAssignmentList}
            ), inserted AS (
                INSERT INTO {ta} ({T("Id")}, {T("WorkItemId")}, {T("AgentId")}, {T("AssignedAt")}, {T("Status")}, {T("LeaseExpiresAt")}, {T("FencingToken")}, {T("IdempotencyKey")}, {T("CreatedAt")}, {T("UpdatedAt")},
                    {T(ClaimIdempotency.RequestProperty)})
                SELECT p.assignment_id, p.id, @agent, {Now}, {ReadyWorkRule.Literal(AssignmentStatus.Assigned)}, {Now} + {Duration}, p.token,
                       CASE WHEN @key IS NULL THEN NULL WHEN @max = 1 THEN @key ELSE @key || '#' || (p.rn - 1) END, {Now}, {Now},
                       @request
                FROM picked p
            ), updated AS (
                {UpdateWorkItems()}
            ), session_task AS (
                UPDATE {sessions} s SET {S("TaskId")} = (SELECT p.id FROM picked p ORDER BY p.rn LIMIT 1)
                WHERE @session::text IS NOT NULL AND s.{S("SessionId")} = @session AND EXISTS (SELECT 1 FROM picked)
            ), events AS (
                INSERT INTO {n.Table<OrchestrationEvent>()} ({E("OccurredAt")}, {E("Type")}, {E("ProjectId")}, {E("EntityType")}, {E("EntityId")}, {E("Actor")}, {n.ComplexColumn<OrchestrationEvent>("Payload")})
                SELECT {Now}, '{OrchestrationEventTypes.WorkItemClaimed}', p.project_id, 'work_item', p.id, @actor,
                    jsonb_build_object('from', p.from_status, 'to', '{StoredEnum.ToStore(DelegationStatus.Assigned)}', 'agent_id', @agent, 'session_id', @session::text, 'work_item_id', p.id, 'reason', NULL, 'data', '[]'::jsonb)
                FROM picked p
            )
            """;

        /// <summary>The claimed items, in claim order.</summary>
        public static string Result() => $"SELECT p.id, p.assignment_id, p.token, p.title, p.priority, {Now} + {Duration} AS expires FROM picked p ORDER BY p.rn";

        /// <summary>What both claim branches select: the order keys under their <see cref="Projected"/> aliases.</summary>
        private string Columns => $"""
            SELECT w.{W("Id")} AS {Projected("Id")}, w.{W("ProjectId")} AS project_id, w.{W("Title")} AS title, w.{W("Priority")} AS {Projected("Priority")},
                   w.{W("CreatedAt")} AS {Projected("CreatedAt")}, w.{W("DelegationStatus")} AS from_status, w.{W("CurrentAssignmentId")} AS old_assignment
            """;

        /// <summary>The readiness, order and limit both claim branches share.</summary>
        private string ReadyInOrder => $"""
            AND {ready.CapableOf("w", "(SELECT names FROM caps)")}
                  AND {ready.DependenciesDone("w")}
                ORDER BY {ReadyWorkRule.Sql.ClaimOrder(p => $"w.{W(p)}")}
                LIMIT (SELECT n FROM limits)
            """;

        /// <summary>The work item's claim, as <c>Claiming.Apply</c> writes it through EF Core on SQLite, with its history entry.</summary>
        private string UpdateWorkItems()
        {
            var history = n.ComplexColumn<WorkItem>("DelegationHistory");
            var at = $"to_char({Now} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') || '0Z'";
            return $"""
                UPDATE {wi} w SET {W("DelegationStatus")} = {ReadyWorkRule.Literal(DelegationStatus.Assigned)}, {W("Status")} = {ReadyWorkRule.Literal(WorkItemStatus.Todo)}, {W("AssigneeType")} = {ReadyWorkRule.Literal(AssigneeType.Agent)},
                        {W("AssigneeId")} = @agent, {W("AssignedAgentId")} = @agent, {W("CurrentAssignmentId")} = p.assignment_id, {W("AssignedAgentSession")} = @session, {W("UpdatedAt")} = {Now},
                        {history} = coalesce(w.{history}, '[]'::jsonb) || jsonb_build_array(jsonb_build_object(
                            'at', {at}, 'action', 'claim', 'from_status', p.from_status, 'to_status', '{StoredEnum.ToStore(DelegationStatus.Assigned)}', 'assignee_type', '{StoredEnum.ToStore(AssigneeType.Agent)}',
                            'assignee_id', @agent, 'assignment_id', p.assignment_id, 'actor', @actor, 'note', NULL))
                    FROM picked p WHERE w.{W("Id")} = p.id
                """;
        }

        /// <summary>The alias a claim branch selects a <see cref="WorkItem"/> order key as.</summary>
        private static string Projected(string property) => StoredEnum.ToSnakeCase(property);

        private static string ProjectedOrder(string alias) => ReadyWorkRule.Sql.ClaimOrder(p => $"{alias}.{Projected(p)}");

        private string W(string property) => n.Column<WorkItem>(property);

        private string T(string property) => n.Column<TaskAssignment>(property);

        private string A(string property) => n.Column<AgentProfile>(property);

        private string C(string property) => n.Column<AgentCapability>(property);

        private string E(string property) => n.Column<OrchestrationEvent>(property);

        private string S(string property) => n.Column<AgentSession>(property);
    }
}
