using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace AgentOrchestration.Data.Benchmarks;

/// <summary>
/// The baseline: the same claim + complete as raw, prepared Npgsql SQL on the library's tables, one connection per worker.
/// A minimal equivalent: one statement claims (SKIP LOCKED, the item update and its assignment), one completes; no
/// events, history, capacity, capability or dependency checks.
/// </summary>
internal static class RawWorkers
{
    private const string ClaimSql = """
        WITH claimed AS (
            UPDATE work_items SET delegation_status = 'assigned', assignee_type = 'agent', assignee_id = @agent,
                assigned_agent_id = @agent, current_assignment_id = @assignment, updated_at = @now
            WHERE id = (
                SELECT id FROM work_items
                WHERE project_id = @project AND type IN ('task', 'bug') AND status = 'todo' AND delegation_status = 'unassigned'
                ORDER BY priority, created_at, id
                LIMIT 1
                FOR NO KEY UPDATE SKIP LOCKED)
            RETURNING id)
        INSERT INTO task_assignments (id, work_item_id, agent_id, assigned_at, status, lease_expires_at, fencing_token, created_at, updated_at)
        SELECT @assignment, claimed.id, @agent, @now, 'assigned', @expires, 1, @now, @now FROM claimed
        RETURNING work_item_id
        """;

    private const string CompleteSql = """
        WITH completed AS (
            UPDATE task_assignments SET status = 'completed', completed_at = @now, lease_expires_at = NULL, updated_at = @now
            WHERE id = @assignment AND status = 'assigned'
            RETURNING work_item_id)
        UPDATE work_items w SET status = 'done', delegation_status = 'completed', updated_at = @now
        FROM completed WHERE w.id = completed.work_item_id
        """;

    public static async Task<RunResult> ClaimAndCompleteAsync(string connectionString, Guid projectId, IReadOnlyList<Guid> agentIds)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var latencies = new ConcurrentBag<double[]>();
        var done = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(agentIds.Select(agentId => Task.Run(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var claim = new NpgsqlCommand(ClaimSql, connection);
            var assignment = claim.Parameters.Add("assignment", NpgsqlDbType.Uuid);
            var now = claim.Parameters.Add("now", NpgsqlDbType.TimestampTz);
            var expires = claim.Parameters.Add("expires", NpgsqlDbType.TimestampTz);
            claim.Parameters.Add("agent", NpgsqlDbType.Uuid).Value = agentId;
            claim.Parameters.Add("project", NpgsqlDbType.Uuid).Value = projectId;
            await using var complete = new NpgsqlCommand(CompleteSql, connection);
            var completeAssignment = complete.Parameters.Add("assignment", NpgsqlDbType.Uuid);
            var completeNow = complete.Parameters.Add("now", NpgsqlDbType.TimestampTz);
            await claim.PrepareAsync();
            await complete.PrepareAsync();
            var mine = new List<double>();
            while (true)
            {
                var started = Stopwatch.GetTimestamp();
                var id = Guid.CreateVersion7();
                var at = DateTime.UtcNow;
                assignment.Value = id;
                now.Value = at;
                expires.Value = at.AddMinutes(15);
                var claimed = await claim.ExecuteScalarAsync();
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (claimed is null)
                {
                    break;
                }

                completeAssignment.Value = id;
                completeNow.Value = DateTime.UtcNow;
                await complete.ExecuteNonQueryAsync();
                Interlocked.Increment(ref done);
            }

            latencies.Add([.. mine]);
        })));
        watch.Stop();
        return new RunResult(done, watch.Elapsed, 0, [.. latencies.SelectMany(l => l)]);
    }
}
