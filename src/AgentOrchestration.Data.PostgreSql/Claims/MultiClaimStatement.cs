using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Sessions;

namespace AgentOrchestration.Data.PostgreSql.Claims;

/// <summary>
/// The claim of many agents in one project as one execution (<see cref="ClaimCombiner"/>): the single claim's statement
/// (<see cref="PostgreSqlClaimStrategy"/>) with each request's values taken from arrays by request index. Each request's
/// limit is decided as the single claim decides it; the requests with the first eligible request's capability set (the
/// group) share one candidate scan, in claim order, and slot k of the group's requests (each expanded by its limit, in
/// request order) takes candidate k. Eligible requests outside the group claim nothing and are returned as deferred.
/// </summary>
internal sealed class MultiClaimStatement
{
    // Every time below is this statement's one reading of the clock (see the clock CTE).
    private const string Now = "(SELECT at FROM clock)";

    private readonly StoreNames n;
    private readonly ReadyWorkRule.Sql ready;
    private readonly string wi;
    private readonly string ta;
    private readonly string sessions;

    public MultiClaimStatement(StoreNames names)
    {
        n = names;
        ready = new ReadyWorkRule.Sql(names);
        wi = names.Table<WorkItem>();
        ta = names.Table<TaskAssignment>();
        sessions = names.Table<AgentSession>();
        Lock = BuildLock();
        Claim = $"""
            WITH {Limits()},
            {Candidates()},
            {Writes()}
            {Result()}
            """;
    }

    /// <summary>
    /// The requests' sessions, then their agents, each in the server's order, locked FOR NO KEY UPDATE (the order every
    /// other path takes them, so the combined claim never deadlocks with them); it also picks the claim's generic plan,
    /// as the single claim's lock does (set_config(..., true) lasts until the batch's own transaction ends).
    /// </summary>
    public string Lock { get; }

    /// <summary>The multi-request claim; its rows are (request, item, assignment, token, title, priority, expires), a deferred request's with a null item.</summary>
    public string Claim { get; }

    private string BuildLock() => $"""
        WITH s AS MATERIALIZED (
            SELECT 1 FROM {sessions} WHERE {S("SessionId")} = ANY (@sessions) ORDER BY {S("SessionId")} FOR NO KEY UPDATE
        ), a AS MATERIALIZED (
            -- The one-time filter reads s before the agents' scan starts: every session is locked before any agent.
            SELECT 1 FROM {n.Table<AgentProfile>()} WHERE {A("Id")} = ANY (@agents) AND (SELECT count(*) FROM s) >= 0 ORDER BY {A("Id")} FOR NO KEY UPDATE
        )
        SELECT set_config('plan_cache_mode', 'force_generic_plan', true), (SELECT count(*) FROM a)
        """;

    /// <summary>clock, req, lim, lead, grp, caps, limits: each request's limit as the single claim decides it, the group and its total.</summary>
    private string Limits() => $"""
        clock AS MATERIALIZED (
            SELECT coalesce(@now, clock_timestamp()) AS at
        ), req AS MATERIALIZED (
            SELECT r.i::int AS i, r.agent, r.max, r.duration_us, r.actor, r.key, r.session, r.request
            FROM unnest(@agents, @maxes, @durations_us, @actors, @keys, @sessions, @requests)
                WITH ORDINALITY AS r(agent, max, duration_us, actor, key, session, request, i)
        ), lim AS MATERIALIZED (
            -- As the single claim's agent, capacity, session_ok, key_free and limits, per request; its capability set sorted,
            -- so two sets compare equal as arrays exactly when they are the same set.
            SELECT r.*,
                CASE WHEN (r.session IS NULL OR EXISTS (
                            SELECT 1 FROM {sessions} s
                            WHERE s.{S("SessionId")} = r.session AND {ImplementingSession.MayImplementSql(n, "s", "@project", "r.agent")}))
                      AND (r.key IS NULL OR NOT EXISTS (
                            SELECT 1 FROM {ta} k WHERE k.{T("AgentId")} = r.agent AND k.{T("IdempotencyKey")} IN (r.key, r.key || '#0')))
                     THEN coalesce((
                            SELECT greatest(least(r.max, a.{A("MaxConcurrentTasks")} - (
                                SELECT count(*) FROM {ta} t
                                WHERE t.{T("AgentId")} = a.{A("Id")} AND t.{T("Status")} IN {ReadyWorkRule.Sql.ActiveAssignmentList}
                                  AND (t.{T("LeaseExpiresAt")} IS NULL OR t.{T("LeaseExpiresAt")} > {Now}))), 0)::int
                            FROM {n.Table<AgentProfile>()} a
                            WHERE a.{A("Id")} = r.agent AND a.{A("Status")} = {ReadyWorkRule.Literal(AgentStatus.Active)}), 0)
                     ELSE 0 END AS n,
                ARRAY(SELECT c.{C("Capability")}::text FROM {n.Table<AgentCapability>()} c WHERE c.{C("AgentId")} = r.agent ORDER BY 1) AS names
            FROM req r
        ), lead AS MATERIALIZED (
            SELECT l.names FROM lim l WHERE l.n > 0 ORDER BY l.i LIMIT 1
        ), grp AS MATERIALIZED (
            SELECT l.* FROM lim l JOIN lead ON l.names = lead.names WHERE l.n > 0
        ), caps AS (
            SELECT names FROM lead
        ), limits AS (
            SELECT coalesce(sum(g.n), 0)::int AS n FROM grp g
        )
        """;

    /// <summary>fresh, lapsed, candidate, numbered, slots, ids, picked: the group's items, locked, in claim order, each with its request, new assignment id and fencing token.</summary>
    private string Candidates() => $"""
        fresh AS (
            -- As the single claim's: an ordered scan of ix_work_items_claim that stops after the group's total.
            {Columns}
            FROM {wi} w
            WHERE w.{W("ProjectId")} = @project AND {ready.UnassignedTodo("w")}
              AND {ready.ClaimableType("w")}
              {ReadyInOrder}
            FOR NO KEY UPDATE OF w SKIP LOCKED
        ), lapsed AS (
            -- As the single claim's: from the lapsed leases, the assignment row locked too.
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
            SELECT c.* FROM (SELECT * FROM fresh UNION ALL SELECT * FROM lapsed) c
            ORDER BY {ProjectedOrder("c")}
            LIMIT (SELECT n FROM limits)
        ), numbered AS (
            SELECT c.*, row_number() OVER (ORDER BY {ProjectedOrder("c")}) AS rn FROM candidate c
        ), slots AS (
            SELECT g.i, s.j, row_number() OVER (ORDER BY g.i, s.j) AS rn FROM grp g, generate_series(1, g.n) AS s(j)
        ), ids AS (
            SELECT x.assignment_id, x.i, row_number() OVER (PARTITION BY x.i ORDER BY x.ord) AS j
            FROM unnest(@ids, @id_requests) WITH ORDINALITY AS x(assignment_id, i, ord)
        ), picked AS (
            SELECT c.id, c.project_id, c.title, c.priority, c.from_status, c.old_assignment, ids.assignment_id, s.j AS rn,
                   g.i AS req, g.agent, g.max, g.duration_us, g.actor, g.key, g.session, g.request,
                   coalesce((SELECT max(t.{T("FencingToken")}) FROM {ta} t WHERE t.{T("WorkItemId")} = c.id), 0) + 1 AS token
            FROM numbered c JOIN slots s ON s.rn = c.rn JOIN grp g ON g.i = s.i JOIN ids ON ids.i = s.i AND ids.j = s.j
        )
        """;

    /// <summary>expired, inserted, updated, session_task, events: the single claim's writes, each with its own request's agent, actor, key and session.</summary>
    private string Writes() => $"""
        expired AS (
            UPDATE {ta} t SET {T("Status")} = {ReadyWorkRule.Literal(AssignmentStatus.Cancelled)}, {T("CompletedAt")} = {Now}, {T("Notes")} = 'lease expired',
                {T("LeaseExpiresAt")} = NULL, {T("UpdatedAt")} = {Now}
            FROM picked p WHERE t.{T("Id")} = p.old_assignment AND t.{T("Status")} IN {ReadyWorkRule.Sql.ActiveAssignmentList}
        ), inserted AS (
            INSERT INTO {ta} ({T("Id")}, {T("WorkItemId")}, {T("AgentId")}, {T("AssignedAt")}, {T("Status")}, {T("LeaseExpiresAt")}, {T("FencingToken")}, {T("IdempotencyKey")}, {T("CreatedAt")}, {T("UpdatedAt")},
                {T(ClaimIdempotency.RequestProperty)})
            SELECT p.assignment_id, p.id, p.agent, {Now}, {ReadyWorkRule.Literal(AssignmentStatus.Assigned)}, {Now} + {Duration("p")}, p.token,
                   CASE WHEN p.key IS NULL THEN NULL WHEN p.max = 1 THEN p.key ELSE p.key || '#' || (p.rn - 1) END, {Now}, {Now},
                   p.request
            FROM picked p
        ), updated AS (
            {UpdateWorkItems()}
        ), session_task AS (
            UPDATE {sessions} s SET {S("TaskId")} = f.id
            FROM (SELECT DISTINCT ON (p.req) p.session, p.id FROM picked p WHERE p.session IS NOT NULL ORDER BY p.req, p.rn) f
            WHERE s.{S("SessionId")} = f.session
        ), events AS (
            INSERT INTO {n.Table<OrchestrationEvent>()} ({E("OccurredAt")}, {E("Type")}, {E("ProjectId")}, {E("EntityType")}, {E("EntityId")}, {E("Actor")}, {n.ComplexColumn<OrchestrationEvent>("Payload")})
            SELECT {Now}, '{OrchestrationEventTypes.WorkItemClaimed}', p.project_id, 'work_item', p.id, p.actor,
                jsonb_build_object('from', p.from_status, 'to', '{StoredEnum.ToStore(DelegationStatus.Assigned)}', 'agent_id', p.agent, 'session_id', p.session, 'work_item_id', p.id, 'reason', NULL, 'data', '[]'::jsonb)
            FROM picked p
        )
        """;

    /// <summary>The claimed items by request, each request's in claim order, then one row per deferred request.</summary>
    private static string Result() => $"""
        SELECT p.req, p.id, p.assignment_id, p.token, p.title, p.priority, {Now} + {Duration("p")} AS expires, p.rn FROM picked p
        UNION ALL
        SELECT l.i, NULL, NULL, NULL, NULL, NULL, NULL, 0 FROM lim l JOIN lead ON l.names <> lead.names WHERE l.n > 0
        ORDER BY 1, 8
        """;

    private string Columns => $"""
        SELECT w.{W("Id")} AS {Projected("Id")}, w.{W("ProjectId")} AS project_id, w.{W("Title")} AS title, w.{W("Priority")} AS {Projected("Priority")},
               w.{W("CreatedAt")} AS {Projected("CreatedAt")}, w.{W("DelegationStatus")} AS from_status, w.{W("CurrentAssignmentId")} AS old_assignment
        """;

    private string ReadyInOrder => $"""
        AND {ready.CapableOf("w", "(SELECT names FROM caps)")}
              AND {ready.DependenciesDone("w")}
            ORDER BY {ReadyWorkRule.Sql.ClaimOrder(p => $"w.{W(p)}")}
            LIMIT (SELECT n FROM limits)
        """;

    // An interval of microseconds only (no days), so adding it is exact whatever the session's time zone does at DST.
    private static string Duration(string p) => $"({p}.duration_us * interval '1 microsecond')";

    private string UpdateWorkItems()
    {
        var history = n.ComplexColumn<WorkItem>("DelegationHistory");
        var at = $"to_char({Now} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') || '0Z'";
        return $"""
            UPDATE {wi} w SET {W("DelegationStatus")} = {ReadyWorkRule.Literal(DelegationStatus.Assigned)}, {W("Status")} = {ReadyWorkRule.Literal(WorkItemStatus.Todo)}, {W("AssigneeType")} = {ReadyWorkRule.Literal(AssigneeType.Agent)},
                    {W("AssigneeId")} = p.agent, {W("AssignedAgentId")} = p.agent, {W("CurrentAssignmentId")} = p.assignment_id, {W("AssignedAgentSession")} = p.session, {W("UpdatedAt")} = {Now},
                    {history} = coalesce(w.{history}, '[]'::jsonb) || jsonb_build_array(jsonb_build_object(
                        'at', {at}, 'action', 'claim', 'from_status', p.from_status, 'to_status', '{StoredEnum.ToStore(DelegationStatus.Assigned)}', 'assignee_type', '{StoredEnum.ToStore(AssigneeType.Agent)}',
                        'assignee_id', p.agent, 'assignment_id', p.assignment_id, 'actor', p.actor, 'note', NULL))
                FROM picked p WHERE w.{W("Id")} = p.id
            """;
    }

    private static string Projected(string property) => StoredEnum.ToSnakeCase(property);

    private static string ProjectedOrder(string alias) => ReadyWorkRule.Sql.ClaimOrder(p => $"{alias}.{Projected(p)}");

    private string W(string property) => n.Column<WorkItem>(property);

    private string T(string property) => n.Column<TaskAssignment>(property);

    private string A(string property) => n.Column<AgentProfile>(property);

    private string C(string property) => n.Column<AgentCapability>(property);

    private string E(string property) => n.Column<OrchestrationEvent>(property);

    private string S(string property) => n.Column<AgentSession>(property);
}
