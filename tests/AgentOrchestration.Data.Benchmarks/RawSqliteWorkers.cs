using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace AgentOrchestration.Data.Benchmarks;

/// <summary>
/// The SQLite floor, the same shape as <see cref="RawWorkers"/>: one connection, prepared statements on the library's
/// tables; a claim is one <c>BEGIN IMMEDIATE</c> transaction with the insert of an assignment for the first ready item (in
/// claim order) and the conditional update of that item, a complete one with the assignment's and the item's updates. No events,
/// history, capacity, capability, dependency or fencing checks. WAL (the library's file) with <c>synchronous=NORMAL</c>.
/// </summary>
internal static class RawSqliteWorkers
{
    // The assignment first, for the first ready item in claim order (BEGIN IMMEDIATE: no other writer meanwhile), then
    // the item, which points at it (a foreign key checked at the end of each statement).
    private const string ClaimSql = """
        INSERT INTO task_assignments (id, work_item_id, agent_id, assigned_at, status, lease_expires_at, fencing_token, created_at, updated_at)
        SELECT $assignment, id, $agent, $now, 'assigned', $expires, 1, $now, $now FROM work_items
        WHERE project_id = $project AND type IN ('task', 'bug') AND status = 'todo' AND delegation_status = 'unassigned'
        ORDER BY priority, created_at, id
        LIMIT 1
        RETURNING work_item_id
        """;

    private const string AssignSql = """
        UPDATE work_items SET delegation_status = 'assigned', assignee_type = 'agent', assignee_id = $agent,
            assigned_agent_id = $agent, current_assignment_id = $assignment, updated_at = $now
        WHERE id = $item AND status = 'todo' AND delegation_status = 'unassigned'
        """;

    private const string CompleteAssignmentSql = """
        UPDATE task_assignments SET status = 'completed', completed_at = $now, lease_expires_at = NULL, updated_at = $now
        WHERE id = $assignment AND status = 'assigned'
        """;

    private const string CompleteItemSql = "UPDATE work_items SET status = 'done', delegation_status = 'completed', updated_at = $now WHERE id = $item";

    public static async Task<RunResult> ClaimAndCompleteAsync(string connectionString, Guid projectId, Guid agentId)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using (var pragma = new SqliteCommand("PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;", connection))
        {
            await pragma.ExecuteNonQueryAsync();
        }

        // Ids are stored as the library's provider writes them (text); the raw side writes them the same way.
        var project = await StoredIdAsync(connection, "projects", projectId);
        var agent = await StoredIdAsync(connection, "agent_profiles", agentId);
        var upper = project.Any(char.IsUpper);

        await using var claim = new SqliteCommand(ClaimSql, connection);
        await using var assign = new SqliteCommand(AssignSql, connection);
        await using var completeAssignment = new SqliteCommand(CompleteAssignmentSql, connection);
        await using var completeItem = new SqliteCommand(CompleteItemSql, connection);
        foreach (var (command, names) in new[]
        {
            (claim, new[] { "$agent", "$assignment", "$now", "$expires", "$project" }),
            (assign, new[] { "$assignment", "$item", "$agent", "$now" }),
            (completeAssignment, new[] { "$now", "$assignment" }),
            (completeItem, new[] { "$now", "$item" }),
        })
        {
            foreach (var name in names)
            {
                command.Parameters.Add(new SqliteParameter(name, null));
            }

            if (command.Parameters.Contains("$agent"))
            {
                command.Parameters["$agent"].Value = agent;
            }

            if (command.Parameters.Contains("$project"))
            {
                command.Parameters["$project"].Value = project;
            }
        }

        var latencies = new List<double>();
        var done = 0;
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            var id = Guid.CreateVersion7().ToString();
            var assignment = upper ? id.ToUpperInvariant() : id;
            var now = DateTime.UtcNow;
            string? item;
            await using (var transaction = connection.BeginTransaction(deferred: false))
            {
                claim.Transaction = transaction;
                claim.Parameters["$assignment"].Value = assignment;
                claim.Parameters["$now"].Value = now;
                claim.Parameters["$expires"].Value = now.AddMinutes(5);
                item = (string?)await claim.ExecuteScalarAsync();
                if (item is null)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    break;
                }

                assign.Transaction = transaction;
                assign.Parameters["$assignment"].Value = assignment;
                assign.Parameters["$item"].Value = item;
                assign.Parameters["$now"].Value = now;
                await assign.ExecuteNonQueryAsync();
                await transaction.CommitAsync();
            }

            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            await using (var transaction = connection.BeginTransaction(deferred: false))
            {
                var at = DateTime.UtcNow;
                completeAssignment.Transaction = transaction;
                completeAssignment.Parameters["$now"].Value = at;
                completeAssignment.Parameters["$assignment"].Value = assignment;
                await completeAssignment.ExecuteNonQueryAsync();
                completeItem.Transaction = transaction;
                completeItem.Parameters["$now"].Value = at;
                completeItem.Parameters["$item"].Value = item;
                await completeItem.ExecuteNonQueryAsync();
                await transaction.CommitAsync();
            }

            done++;
        }

        watch.Stop();
        return new RunResult(done, watch.Elapsed, 0, [.. latencies]);
    }

    private static async Task<string> StoredIdAsync(SqliteConnection connection, string table, Guid id)
    {
        await using var command = new SqliteCommand($"SELECT id FROM {table} WHERE lower(id) = $id", connection);
        command.Parameters.AddWithValue("$id", id.ToString());
        return (string?)await command.ExecuteScalarAsync() ?? throw new InvalidOperationException($"No row {id} in {table}.");
    }
}
