using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.PostgreSql.Storage;
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

            // Outside a caller's transaction the lock also picks the claim's generic plan (see BuildSql); inside one, the
            // setting would outlive the claim, so there the plan cache decides as it does for the caller's own statements.
            var commands = Commands(sql, request, genericPlan: joined is null, sql.Claim);
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
                rows.Add(Row(reader));
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

    /// <summary>
    /// Completes one lease and claims next in one round trip and one transaction: the session's and the agent's locks
    /// (the lock order: session, agent, then work items), the completion's item lock and statement as
    /// <see cref="PostgreSqlLeaseStrategy.TryCompleteAsync"/> sends them, then the claim, whose snapshot sees the completion
    /// and which claims only if the completion wrote (its flag in the transaction's settings). <see langword="null"/>
    /// (nothing sent) while another such call of this process is in flight on the database: two would not share their
    /// executions, so under concurrency each part takes its combiner instead (<see cref="ClaimCombiner"/>, <see cref="CompletionCombiner"/>).
    /// </summary>
    public static async Task<CompleteAndClaimResult?> CompleteAndClaimAsync(DbContext db, CompletionRequest completion, ClaimRequest request, CancellationToken cancellationToken)
    {
        // A TransactionScope would enlist the connection; the claimer calls this only outside any transaction.
        var gate = InFlight.GetValue(db.Model, static _ => new()).GetOrAdd(db.Database.GetConnectionString() ?? string.Empty, static _ => new StrongBox<int>());
        if (Interlocked.CompareExchange(ref gate.Value, 1, 0) != 0)
        {
            return null;
        }

        try
        {
            var sql = SqlByModel.GetValue(db.Model, _ => BuildSql(new StoreNames(db)));
            var commands = Commands(sql, request, genericPlan: true, sql.ClaimAfterCompletion);
            commands.InsertRange(commands.Count - 1, PostgreSqlLeaseStrategy.CompletionCommands(db, completion, chained: true));
            return await OneTripBatch.RunAsync(db, commands, commands.Count - 2, static async (reader, ct) =>
            {
                var completed = await reader.ReadAsync(ct).ConfigureAwait(false) && reader.GetInt32(0) == 1;
                await reader.NextResultAsync(ct).ConfigureAwait(false);
                var rows = new List<ClaimRow>(1);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    rows.Add(Row(reader));
                }

                return new CompleteAndClaimResult(completed, rows);
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref gate.Value, 0);
        }
    }

    // Per model, then per database: whether a completion and claim in one trip is in flight.
    private static readonly ConditionalWeakTable<IModel, System.Collections.Concurrent.ConcurrentDictionary<string, StrongBox<int>>> InFlight = [];

    /// <summary>The session's lock (with a session), the agent's lock, then <paramref name="claimSql"/> with the request's parameters.</summary>
    private static List<NpgsqlBatchCommand> Commands(ClaimSql sql, ClaimRequest request, bool genericPlan, string claimSql)
    {
        // Two statements, one round trip, one implicit transaction: the first waits for the agent's row lock, so the
        // claim statement's snapshot is taken after any concurrent claim of the same agent has committed, and its
        // count of held assignments (the concurrency limit) is current.
        var commands = new List<NpgsqlBatchCommand>(5);
        if (request.SessionId is { } sessionId)
        {
            // Sessions lock their own row before the agent's (ending, reaping, heartbeats): the claim takes them in the
            // same order, so it never deadlocks with them, and its snapshot sees a session that ended meanwhile.
            var lockSession = new NpgsqlBatchCommand(sql.LockSession);
            lockSession.Parameters.Add(new NpgsqlParameter("session", NpgsqlDbType.Text) { Value = sessionId });
            commands.Add(lockSession);
        }

        var lockAgent = new NpgsqlBatchCommand(genericPlan ? sql.LockAgentGenericPlan : sql.LockAgent);
        lockAgent.Parameters.Add(new NpgsqlParameter("agent", NpgsqlDbType.Uuid) { Value = request.AgentId });
        var command = new NpgsqlBatchCommand(claimSql);
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
        return commands;
    }

    private static ClaimRow Row(NpgsqlDataReader reader) =>
        new(reader.GetGuid(0), reader.GetGuid(1), reader.GetInt64(2), reader.GetString(3), reader.GetInt32(4), UtcTimestampConverter.FromStore(reader.GetDateTime(5)));

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
        string Claim(string guard) => $"""
            WITH {ClaimStatement.Clock}, {Limits(statement, guard)},
            {Candidates(statement)},
            {statement.Writes(Values, SessionTask(statement))}
            SELECT p.id, p.assignment_id, p.token, p.title, p.priority, {ClaimStatement.Now} + {Values.Duration} AS expires FROM picked p ORDER BY p.rn
            """;

        // After a completion in the same transaction: claims only when the completion wrote (its flag, PostgreSqlLeaseStrategy.CompletedFlag).
        var afterCompletion = $" AND coalesce(current_setting('{PostgreSqlLeaseStrategy.CompletedFlag}', true), '') = '1'";
        return new ClaimSql(lockSession, lockAgent, lockAgentGenericPlan, Claim(string.Empty), Claim(afterCompletion));
    }

    private sealed record ClaimSql(string LockSession, string LockAgent, string LockAgentGenericPlan, string Claim, string ClaimAfterCompletion);

    /// <summary>One request's values: the statement's parameters.</summary>
    private static readonly ClaimStatement.Values Values = new(
        Agent: "@agent", Max: "@max", Duration: ClaimStatement.Duration("@duration_us"), Key: "@key", Request: "@request",
        Session: "@session", SessionText: "@session::text", Actor: "@actor");

    /// <summary>agent, capacity, session_ok, caps, key_free, limits: <c>limits.n</c> is how many items to claim (0 when refused, or when <paramref name="guard"/>, a further condition, fails).</summary>
    private static string Limits(ClaimStatement s, string guard) => $"""
        agent AS (
            SELECT a.{s.A("Id")} AS id, a.{s.A("MaxConcurrentTasks")} AS max_tasks
            FROM {s.Agents} a
            WHERE a.{s.A("Id")} = @agent AND {s.AgentIsActive("a")}
            FOR NO KEY UPDATE
        ), capacity AS (
            SELECT least(@max, agent.max_tasks - {s.HeldCount("agent.id")})::int AS free
            FROM agent
        ), session_ok AS (
            SELECT @session::text IS NULL OR {s.SessionMayClaim("@session", "@agent")} AS ok
        ), caps AS (
            SELECT coalesce(array_agg(c.{s.C("Capability")}::text), ARRAY[]::text[]) AS names
            FROM {s.Capabilities} c WHERE c.{s.C("AgentId")} = @agent
        ), key_free AS (
            SELECT @key::text IS NULL OR NOT {s.KeyUsed("@agent", "@key")} AS ok
        ), limits AS (
            SELECT CASE WHEN (SELECT ok FROM session_ok) AND (SELECT ok FROM key_free){guard} THEN coalesce((SELECT greatest(free, 0) FROM capacity), 0) ELSE 0 END AS n
        )
        """;

    /// <summary>The candidates, then picked: each numbered candidate with the caller's assignment id of its place and its fencing token.</summary>
    private static string Candidates(ClaimStatement s) => $"""
        {s.Candidates()}, picked AS (
            SELECT n.id, n.project_id, n.title, n.priority, n.from_status, n.old_assignment, ids.assignment_id, n.rn,
                   {s.NextToken("n.id")} AS token
            FROM numbered n JOIN unnest(@ids) WITH ORDINALITY AS ids(assignment_id, rn) ON ids.rn = n.rn
        )
        """;

    /// <summary>The session's task: the first item claimed.</summary>
    private static string SessionTask(ClaimStatement s) => $"""
        session_task AS (
            UPDATE {s.Sessions} s SET {s.S("TaskId")} = (SELECT p.id FROM picked p ORDER BY p.rn LIMIT 1)
            WHERE @session::text IS NOT NULL AND s.{s.S("SessionId")} = @session AND EXISTS (SELECT 1 FROM picked)
        )
        """;
}
