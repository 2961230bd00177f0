using AgentOrchestration.Data.Modeling;

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
    /// <summary>A picked item's request values: its request's columns of <c>picked</c>.</summary>
    private static readonly ClaimStatement.Values Values = new(
        Agent: "p.agent", Max: "p.max", Duration: ClaimStatement.Duration("p.duration_us"), Key: "p.key", Request: "p.request",
        Session: "p.session", SessionText: "p.session", Actor: "p.actor");

    private readonly ClaimStatement s;

    public MultiClaimStatement(StoreNames names)
    {
        s = new ClaimStatement(names);
        Lock = BuildLock();
        Claim = $"""
            WITH {ClaimStatement.Clock}, {Limits()},
            {Candidates()},
            {s.Writes(Values, SessionTask())}
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
            SELECT 1 FROM {s.Sessions} WHERE {s.S("SessionId")} = ANY (@sessions) ORDER BY {s.S("SessionId")} FOR NO KEY UPDATE
        ), a AS MATERIALIZED (
            -- The one-time filter reads s before the agents' scan starts: every session is locked before any agent.
            SELECT 1 FROM {s.Agents} WHERE {s.A("Id")} = ANY (@agents) AND (SELECT count(*) FROM s) >= 0 ORDER BY {s.A("Id")} FOR NO KEY UPDATE
        )
        SELECT set_config('plan_cache_mode', 'force_generic_plan', true), (SELECT count(*) FROM a)
        """;

    /// <summary>req, lim, lead, grp, caps, limits: each request's limit as the single claim decides it, the group and its total.</summary>
    private string Limits() => $"""
        req AS MATERIALIZED (
            SELECT r.i::int AS i, r.agent, r.max, r.duration_us, r.actor, r.key, r.session, r.request
            FROM unnest(@agents, @maxes, @durations_us, @actors, @keys, @sessions, @requests)
                WITH ORDINALITY AS r(agent, max, duration_us, actor, key, session, request, i)
        ), lim AS MATERIALIZED (
            -- As the single claim's agent, capacity, session_ok, key_free and limits, per request; its capability set sorted,
            -- so two sets compare equal as arrays exactly when they are the same set.
            SELECT r.*,
                CASE WHEN (r.session IS NULL OR {s.SessionMayClaim("r.session", "r.agent")})
                      AND (r.key IS NULL OR NOT {s.KeyUsed("r.agent", "r.key")})
                     THEN coalesce((
                            SELECT greatest(least(r.max, a.{s.A("MaxConcurrentTasks")} - {s.HeldCount($"a.{s.A("Id")}")}), 0)::int
                            FROM {s.Agents} a
                            WHERE a.{s.A("Id")} = r.agent AND {s.AgentIsActive("a")}), 0)
                     ELSE 0 END AS n,
                ARRAY(SELECT c.{s.C("Capability")}::text FROM {s.Capabilities} c WHERE c.{s.C("AgentId")} = r.agent ORDER BY 1) AS names
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

    /// <summary>The group's candidates, then slots, ids, picked: each candidate with its request, new assignment id and fencing token.</summary>
    private string Candidates() => $"""
        {s.Candidates()}, slots AS (
            SELECT g.i, s.j, row_number() OVER (ORDER BY g.i, s.j) AS rn FROM grp g, generate_series(1, g.n) AS s(j)
        ), ids AS (
            SELECT x.assignment_id, x.i, row_number() OVER (PARTITION BY x.i ORDER BY x.ord) AS j
            FROM unnest(@ids, @id_requests) WITH ORDINALITY AS x(assignment_id, i, ord)
        ), picked AS (
            SELECT c.id, c.project_id, c.title, c.priority, c.from_status, c.old_assignment, ids.assignment_id, s.j AS rn,
                   g.i AS req, g.agent, g.max, g.duration_us, g.actor, g.key, g.session, g.request,
                   {s.NextToken("c.id")} AS token
            FROM numbered c JOIN slots s ON s.rn = c.rn JOIN grp g ON g.i = s.i JOIN ids ON ids.i = s.i AND ids.j = s.j
        )
        """;

    /// <summary>Each request's session's task: its first item claimed.</summary>
    private string SessionTask() => $"""
        session_task AS (
            UPDATE {s.Sessions} s SET {s.S("TaskId")} = f.id
            FROM (SELECT DISTINCT ON (p.req) p.session, p.id FROM picked p WHERE p.session IS NOT NULL ORDER BY p.req, p.rn) f
            WHERE s.{s.S("SessionId")} = f.session
        )
        """;

    /// <summary>The claimed items by request, each request's in claim order, then one row per deferred request.</summary>
    private static string Result() => $"""
        SELECT p.req, p.id, p.assignment_id, p.token, p.title, p.priority, {ClaimStatement.Now} + {Values.Duration} AS expires, p.rn FROM picked p
        UNION ALL
        SELECT l.i, NULL, NULL, NULL, NULL, NULL, NULL, 0 FROM lim l JOIN lead ON l.names <> lead.names WHERE l.n > 0
        ORDER BY 1, 8
        """;
}
