using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Sessions;

namespace AgentOrchestration.Data.PostgreSql.Claims;

/// <summary>
/// The parts of the claim statement that the single claim (<see cref="PostgreSqlClaimStrategy"/>) and the combined claim
/// of many agents (<see cref="MultiClaimStatement"/>) share, so both decide and write a claim alike: the clock, the
/// limits' tests (<see cref="HeldCount"/>, <see cref="SessionMayClaim"/>, <see cref="KeyUsed"/>), the candidates
/// (<see cref="Candidates"/>, by <see cref="ReadyWorkRule"/>) and the writes (<see cref="Writes"/>). Each statement
/// supplies what differs: where a request's values come from (<see cref="Values"/>: parameters for the single claim, the
/// picked row's request for the combined one), how its limits are gathered, which candidate each request picks, and
/// the session's task. Every CTE a part reads by name (clock, caps, limits, picked) the statement defines.
/// </summary>
internal sealed class ClaimStatement(StoreNames n)
{
    /// <summary>Every time of the statement: its one reading of the clock (see <see cref="Clock"/>).</summary>
    public const string Now = "(SELECT at FROM clock)";

    private readonly ReadyWorkRule.Sql ready = new(n);
    private readonly string wi = n.Table<WorkItem>();
    private readonly string ta = n.Table<TaskAssignment>();
    private readonly string sessions = n.Table<AgentSession>();

    /// <summary>The table of agents.</summary>
    public string Agents { get; } = n.Table<AgentProfile>();

    /// <summary>The table of agents' capabilities.</summary>
    public string Capabilities { get; } = n.Table<AgentCapability>();

    /// <summary>The table of sessions.</summary>
    public string Sessions => sessions;

    /// <summary>
    /// The clock CTE: the one reading of the clock the claim decides and stores every expiry by: the server's, once the
    /// agent (and session) locks are held, unless the host set its own clock (<c>@now</c>).
    /// </summary>
    public static string Clock => """
        clock AS MATERIALIZED (
            SELECT coalesce(@now, clock_timestamp()) AS at
        )
        """;

    /// <summary>An interval of <paramref name="microseconds"/> only (no days), so adding it is exact whatever the session's time zone does at DST.</summary>
    public static string Duration(string microseconds) => $"({microseconds} * interval '1 microsecond')";

    /// <summary>The assignments <paramref name="agentId"/> holds now (active, lease not lapsed): its concurrency limit counts them.</summary>
    public string HeldCount(string agentId) => $"""
        (
                    SELECT count(*) FROM {ta} t
                    WHERE t.{T("AgentId")} = {agentId} AND t.{T("Status")} IN {ReadyWorkRule.Sql.ActiveAssignmentList}
                      AND (t.{T("LeaseExpiresAt")} IS NULL OR t.{T("LeaseExpiresAt")} > {Now}))
        """;

    /// <summary>Whether session <paramref name="session"/> may claim for <paramref name="agent"/> in <c>@project</c> (see <see cref="ImplementingSession"/>).</summary>
    public string SessionMayClaim(string session, string agent) => $"""
        EXISTS (
                    SELECT 1 FROM {sessions} s
                    WHERE s.{S("SessionId")} = {session} AND {ImplementingSession.MayImplementSql(n, "s", "@project", agent)})
        """;

    /// <summary>
    /// Whether <paramref name="agent"/> already used idempotency key <paramref name="key"/> (committed while this claim
    /// waited for the agent's lock): such a claim claims nothing, and the claimer replays or refuses it. That claim wrote
    /// the key itself (one item) or key#0 first (a batch; a key never holds '#'), so two probes of the unique (agent, key)
    /// index find it, compared byte for byte, however many assignments the agent has. Keys used before the call began,
    /// whatever their item count, the claimer's replay (ClaimIdempotency.FindAsync) found before sending the statement.
    /// </summary>
    public string KeyUsed(string agent, string key) => $"""
        EXISTS (
                    SELECT 1 FROM {ta} k
                    WHERE k.{T("AgentId")} = {agent} AND k.{T("IdempotencyKey")} IN ({key}, {key} || '#0'))
        """;

    /// <summary>Whether the agent row <paramref name="alias"/> is active (only an active agent claims).</summary>
    public string AgentIsActive(string alias) => $"{alias}.{A("Status")} = {ReadyWorkRule.Literal(AgentStatus.Active)}";

    /// <summary>A column of <see cref="AgentProfile"/>.</summary>
    public string A(string property) => n.Column<AgentProfile>(property);

    /// <summary>A column of <see cref="AgentCapability"/>.</summary>
    public string C(string property) => n.Column<AgentCapability>(property);

    /// <summary>A column of <see cref="AgentSession"/>.</summary>
    public string S(string property) => n.Column<AgentSession>(property);

    /// <summary>A column of <see cref="TaskAssignment"/>.</summary>
    public string T(string property) => n.Column<TaskAssignment>(property);

    /// <summary>
    /// fresh, lapsed, candidate, numbered: the items to claim (at most <c>limits.n</c>, for the capability names in
    /// <c>caps</c>), locked, numbered in claim order as <c>rn</c>. The statement's picked CTE gives each its request,
    /// assignment id and fencing token (<see cref="NextToken"/>).
    /// </summary>
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
        )
        """;

    /// <summary>The fencing token a new assignment of item <paramref name="item"/> takes: one above every earlier one's.</summary>
    public string NextToken(string item) => $"coalesce((SELECT max(t.{T("FencingToken")}) FROM {ta} t WHERE t.{T("WorkItemId")} = {item}), 0) + 1";

    /// <summary>
    /// expired, inserted, updated, the statement's <paramref name="sessionTask"/> CTE, events: what claiming the picked
    /// items writes, each with its request's <paramref name="v"/>alues. Picked rows carry id, project_id, from_status,
    /// old_assignment, assignment_id, rn (the item's place in its request, from 1) and token.
    /// </summary>
    public string Writes(Values v, string sessionTask) => $"""
        expired AS (
            -- The lapse was decided on the locked assignment row: whatever the item held ends here, so a claim never
            -- leaves the old holder's assignment active (its later writes fail their fencing check).
            UPDATE {ta} t SET {T("Status")} = {ReadyWorkRule.Literal(AssignmentStatus.Cancelled)}, {T("CompletedAt")} = {Now}, {T("Notes")} = 'lease expired',
                {T("LeaseExpiresAt")} = NULL, {T("UpdatedAt")} = {Now}
            FROM picked p WHERE t.{T("Id")} = p.old_assignment AND t.{T("Status")} IN {ReadyWorkRule.Sql.ActiveAssignmentList}
        ), inserted AS (
            INSERT INTO {ta} ({T("Id")}, {T("WorkItemId")}, {T("AgentId")}, {T("AssignedAt")}, {T("Status")}, {T("LeaseExpiresAt")}, {T("FencingToken")}, {T("IdempotencyKey")}, {T("CreatedAt")}, {T("UpdatedAt")},
                {T(ClaimIdempotency.RequestProperty)})
            SELECT p.assignment_id, p.id, {v.Agent}, {Now}, {ReadyWorkRule.Literal(AssignmentStatus.Assigned)}, {Now} + {v.Duration}, p.token,
                   CASE WHEN {v.Key} IS NULL THEN NULL WHEN {v.Max} = 1 THEN {v.Key} ELSE {v.Key} || '#' || (p.rn - 1) END, {Now}, {Now},
                   {v.Request}
            FROM picked p
        ), updated AS (
            {UpdateWorkItems(v)}
        ), {sessionTask}, events AS (
            INSERT INTO {n.Table<OrchestrationEvent>()} ({E("OccurredAt")}, {E("Type")}, {E("ProjectId")}, {E("EntityType")}, {E("EntityId")}, {E("Actor")}, {n.ComplexColumn<OrchestrationEvent>("Payload")})
            SELECT {Now}, '{OrchestrationEventTypes.WorkItemClaimed}', p.project_id, 'work_item', p.id, {v.Actor},
                jsonb_build_object('from', p.from_status, 'to', '{StoredEnum.ToStore(DelegationStatus.Assigned)}', 'agent_id', {v.Agent}, 'session_id', {v.SessionText}, 'work_item_id', p.id, 'reason', NULL, 'data', '[]'::jsonb)
            FROM picked p
        )
        """;

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
    private string UpdateWorkItems(Values v)
    {
        var history = n.ComplexColumn<WorkItem>("DelegationHistory");
        var at = $"to_char({Now} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') || '0Z'";
        return $"""
            UPDATE {wi} w SET {W("DelegationStatus")} = {ReadyWorkRule.Literal(DelegationStatus.Assigned)}, {W("Status")} = {ReadyWorkRule.Literal(WorkItemStatus.Todo)}, {W("AssigneeType")} = {ReadyWorkRule.Literal(AssigneeType.Agent)},
                        {W("AssigneeId")} = {v.Agent}, {W("AssignedAgentId")} = {v.Agent}, {W("CurrentAssignmentId")} = p.assignment_id, {W("AssignedAgentSession")} = {v.Session}, {W("UpdatedAt")} = {Now},
                        {history} = coalesce(w.{history}, '[]'::jsonb) || jsonb_build_array(jsonb_build_object(
                            'at', {at}, 'action', 'claim', 'from_status', p.from_status, 'to_status', '{StoredEnum.ToStore(DelegationStatus.Assigned)}', 'assignee_type', '{StoredEnum.ToStore(AssigneeType.Agent)}',
                            'assignee_id', {v.Agent}, 'assignment_id', p.assignment_id, 'actor', {v.Actor}, 'note', NULL))
                    FROM picked p WHERE w.{W("Id")} = p.id
            """;
    }

    /// <summary>The alias a claim branch selects a <see cref="WorkItem"/> order key as.</summary>
    private static string Projected(string property) => StoredEnum.ToSnakeCase(property);

    private static string ProjectedOrder(string alias) => ReadyWorkRule.Sql.ClaimOrder(p => $"{alias}.{Projected(p)}");

    private string W(string property) => n.Column<WorkItem>(property);

    private string E(string property) => n.Column<OrchestrationEvent>(property);

    /// <summary>
    /// Where a picked item's request values come from, as SQL expressions (<c>p</c> is the picked row): the claiming
    /// agent, the items it asked for, the lease's length as an interval, its idempotency key and request fingerprint,
    /// its session (as stored, and as text for the event's payload) and its actor.
    /// </summary>
    public sealed record Values(string Agent, string Max, string Duration, string Key, string Request, string Session, string SessionText, string Actor);
}
