using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AgentOrchestration.Data.Entities;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace AgentOrchestration.Data.Benchmarks.Scale;

/// <summary>
/// Seeds a migrated database with <see cref="ScaleShape"/>: the few reference rows (projects, sprints, agents and their
/// capabilities) through EF, the bulk tables by binary COPY on PostgreSQL and by one prepared INSERT per table in one
/// transaction on SQLite; then ANALYZE.
/// </summary>
internal static class ScaleSeeder
{
    public static async Task<(ScaleShape Shape, TimeSpan Elapsed, long Rows)> SeedAsync(BenchDatabase database, int items)
    {
        var watch = Stopwatch.StartNew();
        var now = DateTime.UtcNow;
        var projects = Enumerable.Range(0, ScaleShape.Projects)
            .Select(p => new Project { Key = $"scale-{p}", Name = $"Scale project {p}", CreatedAt = now, UpdatedAt = now }).ToArray();
        var agentCount = ScaleShape.AgentCount(items);
        var agents = Enumerable.Range(0, agentCount).Select(a => new AgentProfile
        {
            Name = $"Scale agent {a}",
            Slug = $"scale-agent-{a}",
            Type = ScaleShape.AgentTypes[a % ScaleShape.AgentTypes.Length],
            Mode = "implementation",
            Status = a % 10 == 9 ? (a % 20 == 19 ? AgentStatus.Archived : AgentStatus.Inactive) : AgentStatus.Active,
            MaxConcurrentTasks = 1_000_000,
            CreatedAt = now,
            UpdatedAt = now,
        }).ToArray();
        await using (var db = database.CreateContext())
        {
            db.AddRange(projects);
            db.AddRange(agents);
            await db.SaveChangesAsync();
            var sprints = projects.SelectMany(p => Enumerable.Range(0, 4).Select(s => new Sprint
            {
                ProjectId = p.Id,
                Name = $"Sprint {s}",
                Status = s == 3 ? SprintStatus.Active : SprintStatus.Completed,
                CreatedAt = now,
                UpdatedAt = now,
            })).ToArray();
            db.AddRange(sprints);
            db.AddRange(agents.SelectMany((a, i) => new[] { i % 6, (i + 1) % 6 }.Select(c => new AgentCapability { AgentId = a.Id, Capability = ScaleShape.Capabilities[c], CreatedAt = now })));
            await db.SaveChangesAsync();
        }

        Guid[][] sprintIds;
        await using (var db = database.CreateContext())
        {
            var byProject = await db.Set<Sprint>().AsNoTracking().ToListAsync();
            sprintIds = [.. projects.Select(p => byProject.Where(s => s.ProjectId == p.Id).OrderBy(s => s.Name).Select(s => s.Id).ToArray())];
        }

        var shape = new ScaleShape(items, [.. projects.Select(p => p.Id)], sprintIds, [.. agents.Select(a => a.Id)], now);
        Console.WriteLine($"  reference rows in {watch.Elapsed.TotalSeconds:N1}s");
        var rows = database.IsPostgres ? await CopyAsync(database, shape) : await InsertAsync(database, shape);
        var analyze = Stopwatch.GetTimestamp();
        await database.ExecuteAsync("ANALYZE");
        Console.WriteLine($"  ANALYZE in {Stopwatch.GetElapsedTime(analyze).TotalSeconds:N1}s");
        return (shape, watch.Elapsed, rows);
    }

    private static async Task<long> CopyAsync(BenchDatabase database, ScaleShape shape)
    {
        long rows = 0;
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        // Items point at their current assignment and assignments at their item: foreign keys (triggers) are off while
        // loading, as for any bulk load of a consistent set (needs a superuser: the benchmark's own server).
        await using (var replica = new NpgsqlCommand("SET session_replication_role = replica", connection))
        {
            await replica.ExecuteNonQueryAsync();
        }

        foreach (var table in shape.Tables())
        {
            var started = Stopwatch.GetTimestamp();
            var before = rows;
            // Synchronous writes: millions of values, each async call would cost more than the write (the harness waits anyway).
            using var writer = connection.BeginBinaryImport($"COPY {table.Name} ({string.Join(", ", table.Columns)}) FROM STDIN (FORMAT BINARY)");
            foreach (var row in table.Rows)
            {
                writer.StartRow();
                foreach (var value in row)
                {
                    switch (value)
                    {
                        case null: writer.WriteNull(); break;
                        case Guid g: writer.Write(g, NpgsqlDbType.Uuid); break;
                        case string s: writer.Write(s, NpgsqlDbType.Text); break;
                        case int n: writer.Write(n, NpgsqlDbType.Integer); break;
                        case long n: writer.Write(n, NpgsqlDbType.Bigint); break;
                        case bool b: writer.Write(b, NpgsqlDbType.Boolean); break;
                        case DateTime t: writer.Write(t, NpgsqlDbType.TimestampTz); break;
                        case string[] a: writer.Write(a, NpgsqlDbType.Array | NpgsqlDbType.Text); break;
                        case JsonText j: writer.Write(j.Text, NpgsqlDbType.Jsonb); break;
                        default: throw new InvalidOperationException($"No COPY type for {value.GetType()} in {table.Name}.");
                    }
                }

                rows++;
            }

            writer.Complete();
            Console.WriteLine($"  COPY {table.Name}: {rows - before:N0} rows in {Stopwatch.GetElapsedTime(started).TotalSeconds:N1}s");
        }

        return rows;
    }

    private static async Task<long> InsertAsync(BenchDatabase database, ScaleShape shape)
    {
        long rows = 0;
        await using var connection = new SqliteConnection(database.ConnectionString);
        await connection.OpenAsync();
        // Ids as the provider stores them: read the casing back from a row EF wrote.
        string storedProject;
        await using (var probe = new SqliteCommand("SELECT id FROM projects LIMIT 1", connection))
        {
            storedProject = (string)(await probe.ExecuteScalarAsync())!;
        }

        var upper = storedProject.Any(char.IsUpper);
        // Items point at their current assignment and assignments at their item: loaded with foreign keys off.
        await using (var pragma = new SqliteCommand("PRAGMA foreign_keys = OFF", connection))
        {
            await pragma.ExecuteNonQueryAsync();
        }

        await using var transaction = connection.BeginTransaction(deferred: false);
        foreach (var table in shape.Tables())
        {
            await using var command = new SqliteCommand($"INSERT INTO {table.Name} ({string.Join(", ", table.Columns)}) VALUES ({string.Join(", ", table.Columns.Select((_, i) => $"$p{i}"))})", connection, transaction);
            var parameters = table.Columns.Select((_, i) => command.Parameters.Add(new SqliteParameter($"$p{i}", null))).ToArray();
            command.Prepare();
            foreach (var row in table.Rows)
            {
                for (var i = 0; i < row.Length; i++)
                {
                    parameters[i].Value = row[i] switch
                    {
                        null => DBNull.Value,
                        Guid g => upper ? g.ToString().ToUpperInvariant() : g.ToString(),
                        DateTime t => t.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
                        string[] a => JsonSerializer.Serialize(a),
                        JsonText j => j.Text,
                        bool b => b ? 1 : 0,
                        var v => v,
                    };
                }

                command.ExecuteNonQuery();
                rows++;
            }
        }

        await transaction.CommitAsync();
        return rows;
    }
}
