using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AgentOrchestration.Data.Entities;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using NpgsqlTypes;
using SQLitePCL;

namespace AgentOrchestration.Data.Benchmarks.Scale;

/// <summary>How long each step of one seed took, and whether the library's indexes came back exactly as migrated.</summary>
internal sealed record SeedReport(ScaleShape Shape, TimeSpan Elapsed, long Rows, List<(string Step, double Seconds, string Detail)> Steps, int Indexes, string? IndexMismatch);

/// <summary>
/// Seeds a migrated database with <see cref="ScaleShape"/>: the few reference rows (projects, sprints, agents and their
/// capabilities) through EF; then, for the bulk tables, the way any bulk load of a consistent set is done: their
/// secondary indexes (whatever the migrations made, read from the catalogue) are dropped, the rows loaded (binary COPY
/// on PostgreSQL, two tables at a time; one prepared INSERT per table in one transaction on SQLite), the indexes
/// rebuilt from their own definitions and checked against the catalogue as it was, and the tables analysed (and
/// vacuumed on PostgreSQL).
/// Nothing that is measured afterwards differs from a database filled row by row: no unlogged tables, no server
/// settings, SQLite back in WAL before the library opens it.
/// </summary>
internal static partial class ScaleSeeder
{
    // Two cores: two loads (or index builds) at a time keep both busy, the client's generation included.
    private const int Streams = 2;

    public static async Task<SeedReport> SeedAsync(BenchDatabase database, int items)
    {
        var watch = Stopwatch.StartNew();
        var steps = new List<(string, double, string)>();
        var shape = await ReferenceRowsAsync(database, items);
        steps.Add(("reference rows (EF)", watch.Elapsed.TotalSeconds, "projects, sprints, agents, capabilities"));
        var tables = shape.Tables().ToArray();
        var names = tables.Select(t => t.Name).ToArray();

        var step = Stopwatch.StartNew();
        var indexes = await SecondaryIndexesAsync(database, names);
        foreach (var index in indexes)
        {
            await database.ExecuteAsync($"DROP INDEX {index.Name}");
        }

        steps.Add(("drop secondary indexes", step.Elapsed.TotalSeconds, $"{indexes.Count} on the bulk tables"));
        var rows = database.IsPostgres ? await CopyAsync(database, tables, steps) : await InsertAsync(database, tables, indexes, steps);

        if (database.IsPostgres)
        {
            step.Restart();
            await InParallelAsync(database, indexes.Select(i => i.Definition), "SET maintenance_work_mem = '256MB'; SET max_parallel_maintenance_workers = 0");
            steps.Add(("rebuild secondary indexes", step.Elapsed.TotalSeconds, $"{indexes.Count} CREATE INDEX from pg_get_indexdef, {Streams} at a time"));
        }

        var rebuilt = await SecondaryIndexesAsync(database, names);
        var mismatch = Mismatch(indexes, rebuilt);

        step.Restart();
        if (database.IsPostgres)
        {
            // Every table of the schema, the bulk ones first, two at a time. VACUUM too, as autovacuum would have it in a
            // running system: otherwise autovacuum starts on millions of new rows in the middle of the measurements
            // (throttled, for minutes, on the same two cores), and index-only scans read the heap until it has.
            await InParallelAsync(database, names.Concat((await OtherTablesAsync(database, names)).Select(n => $"\"{n}\"")).Select(n => $"VACUUM (ANALYZE) {n}"), null);
            steps.Add(("VACUUM (ANALYZE)", step.Elapsed.TotalSeconds, $"every table, {Streams} at a time"));
        }
        else
        {
            await database.ExecuteAsync("ANALYZE");
            steps.Add(("ANALYZE", step.Elapsed.TotalSeconds, ""));
        }

        foreach (var (name, seconds, detail) in steps)
        {
            Console.WriteLine($"  {name}: {seconds:N1}s {detail}");
        }

        return new SeedReport(shape, watch.Elapsed, rows, steps, indexes.Count, mismatch);
    }

    private static async Task<ScaleShape> ReferenceRowsAsync(BenchDatabase database, int items)
    {
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

        return new ScaleShape(items, [.. projects.Select(p => p.Id)], sprintIds, [.. agents.Select(a => a.Id)], now);
    }

    /// <summary>A secondary index: one that backs no key (primary key or constraint), with the statement that creates it.</summary>
    private sealed record SecondaryIndex(string Table, string Name, string Definition);

    /// <summary>The bulk tables' secondary indexes as the catalogue has them (PostgreSQL: pg_get_indexdef; SQLite: sqlite_master.sql).</summary>
    private static async Task<List<SecondaryIndex>> SecondaryIndexesAsync(BenchDatabase database, string[] tables)
    {
        var found = new List<SecondaryIndex>();
        if (database.IsPostgres)
        {
            await using var connection = new NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                """
                SELECT t.relname, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
                WHERE n.nspname = current_schema() AND t.relname = ANY(@tables) AND NOT i.indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                ORDER BY 2
                """, connection);
            command.Parameters.AddWithValue("tables", tables);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                found.Add(new SecondaryIndex(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
        }
        else
        {
            await using var connection = new SqliteConnection(database.ConnectionString);
            await connection.OpenAsync();
            await using var command = new SqliteCommand(
                $"SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({string.Join(", ", tables.Select(t => $"'{t}'"))}) ORDER BY tbl_name, name", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                found.Add(new SecondaryIndex(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        // Largest table first (the order of the shape's tables), so a parallel rebuild starts with the long builds.
        return [.. found.OrderBy(i => Array.IndexOf(tables, i.Table))];
    }

    private static async Task<List<string>> OtherTablesAsync(BenchDatabase database, string[] tables)
    {
        var others = new List<string>();
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> ALL(@tables)", connection);
        command.Parameters.AddWithValue("tables", tables);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            others.Add(reader.GetString(0));
        }

        return others;
    }

    private static string? Mismatch(List<SecondaryIndex> before, List<SecondaryIndex> after)
    {
        var rebuilt = after.Select(i => Comparable(i.Definition)).ToHashSet(StringComparer.Ordinal);
        var migrated = before.Select(i => Comparable(i.Definition)).ToHashSet(StringComparer.Ordinal);
        var missing = before.Where(i => !rebuilt.Contains(Comparable(i.Definition))).Select(i => i.Definition).ToArray();
        var extra = after.Where(i => !migrated.Contains(Comparable(i.Definition))).Select(i => i.Definition).ToArray();
        return missing.Length == 0 && extra.Length == 0 ? null : $"missing: {string.Join("; ", missing)}; not migrated: {string.Join("; ", extra)}";
    }

    /// <summary>
    /// An index definition without casts, parentheses and spaces: PostgreSQL deparses the predicate of an index built
    /// from its own <c>pg_get_indexdef</c> text with the casts in other places (an IN list's array cast moves onto each
    /// element), though it is the same index.
    /// </summary>
    private static string Comparable(string definition) =>
        CastsOrLayout().Replace(definition, string.Empty);

    [System.Text.RegularExpressions.GeneratedRegex(@"::[a-z_]+(?: [a-z_]+)*(?:\[\])?|[()\s]")]
    private static partial System.Text.RegularExpressions.Regex CastsOrLayout();

    /// <summary>Runs the statements on <see cref="Streams"/> connections, each taking the next from the list (longest first).</summary>
    private static async Task InParallelAsync(BenchDatabase database, IEnumerable<string> statements, string? setup)
    {
        var queue = new ConcurrentQueue<string>(statements);
        await Task.WhenAll(Enumerable.Range(0, Streams).Select(_ => Task.Run(async () =>
        {
            await using var connection = new NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync();
            if (setup is not null)
            {
                await using var set = new NpgsqlCommand(setup, connection);
                await set.ExecuteNonQueryAsync();
            }

            while (queue.TryDequeue(out var statement))
            {
                await using var command = new NpgsqlCommand(statement, connection) { CommandTimeout = 0 };
                await command.ExecuteNonQueryAsync();
            }
        })));
    }

    private static async Task<long> CopyAsync(BenchDatabase database, BulkTable[] tables, List<(string, double, string)> steps)
    {
        var started = Stopwatch.StartNew();
        var queue = new ConcurrentQueue<BulkTable>(tables);
        var done = new ConcurrentBag<(string, double, string)>();
        var counts = await Task.WhenAll(Enumerable.Range(0, Streams).Select(_ => Task.Run(async () =>
        {
            long rows = 0;
            await using var connection = new NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync();
            // Items point at their current assignment and assignments at their item: foreign keys (triggers) are off
            // while loading, as for any bulk load of a consistent set (needs a superuser: the benchmark's own server).
            await using (var replica = new NpgsqlCommand("SET session_replication_role = replica", connection))
            {
                await replica.ExecuteNonQueryAsync();
            }

            while (queue.TryDequeue(out var table))
            {
                var tableStarted = Stopwatch.GetTimestamp();
                // Synchronous writes: millions of values, each async call would cost more than the write.
                using var importer = connection.BeginBinaryImport($"COPY {table.Name} ({string.Join(", ", table.Columns)}) FROM STDIN (FORMAT BINARY)");
                var written = table.WriteRows(new CopyWriter(importer));
                importer.Complete();
                rows += written;
                done.Add(($"COPY {table.Name}", Stopwatch.GetElapsedTime(tableStarted).TotalSeconds, $"{written:N0} rows"));
            }

            return rows;
        })));
        steps.AddRange(tables.Select(t => done.First(d => d.Item1 == $"COPY {t.Name}")));
        steps.Add(("COPY, all tables", started.Elapsed.TotalSeconds, $"{Streams} tables at a time, no secondary indexes"));
        return counts.Sum();
    }

    private static async Task<long> InsertAsync(BenchDatabase database, BulkTable[] tables, List<SecondaryIndex> indexes, List<(string, double, string)> steps)
    {
        long rows = 0;
        var started = Stopwatch.StartNew();
        // The load needs the file to itself to leave WAL mode: the reference rows' pooled connections are closed (all
        // pools: the library may open the file under a connection string of its own). The load's connection is
        // unpooled, so its pragmas end with it.
        SqliteConnection.ClearAllPools();
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder(database.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        // Ids as the provider stores them: read the casing back from a row EF wrote.
        string storedProject;
        await using (var probe = new SqliteCommand("SELECT id FROM projects LIMIT 1", connection))
        {
            storedProject = (string)(await probe.ExecuteScalarAsync())!;
        }

        var upper = storedProject.Any(char.IsUpper);
        // For the load only: no journal (a failed seed is thrown away), no syncs, a 64 MiB page cache (more bought no speed at 1M, only memory) and in-memory
        // sorting for the index builds; foreign keys off for the mutually referencing items and assignments.
        // The journal goes back to WAL below, before the library opens the file; the rest is this connection's alone.
        await PragmaAsync(connection, "journal_mode = OFF", "off");
        await PragmaAsync(connection, "synchronous = OFF", null);
        await PragmaAsync(connection, "cache_size = -65536", null);
        await PragmaAsync(connection, "temp_store = MEMORY", null);
        await PragmaAsync(connection, "threads = 2", null);
        await PragmaAsync(connection, "foreign_keys = OFF", null);
        // CHECK constraints are verified after the load, one query per table (below): SQLite evaluates a CHECK with an
        // IN list of more than two values by building a temporary b-tree each time the prepared INSERT is reset, once
        // per row, which made the work_items load about 2.8x slower (27.7 s against 9.8 s at 1M).
        await PragmaAsync(connection, "ignore_check_constraints = ON", null);
        var checks = CheckConstraints(database, tables);

        await using (var transaction = connection.BeginTransaction(deferred: false))
        {
            foreach (var table in tables)
            {
                var tableStarted = Stopwatch.GetTimestamp();
                var written = InsertRows(connection, table, upper);
                rows += written;
                steps.Add(($"INSERT {table.Name}", Stopwatch.GetElapsedTime(tableStarted).TotalSeconds, $"{written:N0} rows"));
            }

            await transaction.CommitAsync();
        }

        steps.Add(("INSERT, all tables", started.Elapsed.TotalSeconds, "one transaction, no secondary indexes"));
        var verify = Stopwatch.StartNew();
        await PragmaAsync(connection, "ignore_check_constraints = OFF", null);
        foreach (var (table, conditions) in checks)
        {
            // A CHECK fails only when its expression is false (NULL passes).
            await using var violations = new SqliteCommand($"SELECT count(*) FROM {table} WHERE {string.Join(" OR ", conditions.Select(c => $"NOT coalesce(({c}), 1)"))}", connection);
            if ((long)(await violations.ExecuteScalarAsync())! is var count and > 0)
            {
                throw new InvalidOperationException($"The seed loaded {count} rows into {table} that fail its CHECK constraints ({string.Join("; ", conditions)}).");
            }
        }

        steps.Add(("verify CHECK constraints", verify.Elapsed.TotalSeconds, $"{checks.Sum(c => c.Conditions.Length)} on {checks.Count} tables, one query per table"));
        var build = Stopwatch.StartNew();
        await using (var transaction = connection.BeginTransaction(deferred: false))
        {
            foreach (var index in indexes)
            {
                await using var create = new SqliteCommand(index.Definition, connection, transaction);
                await create.ExecuteNonQueryAsync();
            }

            await transaction.CommitAsync();
        }

        steps.Add(("rebuild secondary indexes", build.Elapsed.TotalSeconds, $"{indexes.Count} CREATE INDEX from sqlite_master, one transaction"));
        await PragmaAsync(connection, "journal_mode = WAL", "wal");
        return rows;
    }

    /// <summary>The CHECK constraints of the bulk tables as the model declares them (the migrations create exactly these).</summary>
    private static List<(string Table, string[] Conditions)> CheckConstraints(BenchDatabase database, BulkTable[] tables)
    {
        using var db = database.CreateContext();
        var model = db.GetService<IDesignTimeModel>().Model.GetRelationalModel();
        return [.. tables
            .Select(t => (Table: t.Name, Conditions: model.Tables.Single(m => m.Name == t.Name && m.Schema is null).CheckConstraints.Select(c => c.Sql).ToArray()))
            .Where(t => t.Conditions.Length > 0)];
    }

    private static async Task PragmaAsync(SqliteConnection connection, string pragma, string? expected)
    {
        await using var command = new SqliteCommand($"PRAGMA {pragma}", connection);
        var result = await command.ExecuteScalarAsync();
        if (expected is not null && !string.Equals(result as string, expected, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"PRAGMA {pragma} returned '{result}', not '{expected}': another connection has the file open.");
        }
    }

    /// <summary>One table through one prepared statement, its parameters bound natively row after row.</summary>
    private static long InsertRows(SqliteConnection connection, BulkTable table, bool upper)
    {
        var sql = $"INSERT INTO {table.Name} ({string.Join(", ", table.Columns)}) VALUES ({string.Join(", ", table.Columns.Select((_, i) => $"?{i + 1}"))})";
        Check(connection, raw.sqlite3_prepare_v2(connection.Handle, sql, out var statement));
        try
        {
            return table.WriteRows(new InsertWriter(connection, statement, upper));
        }
        finally
        {
            statement.Dispose();
        }
    }

    private static void Check(SqliteConnection connection, int rc)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW))
        {
            throw new InvalidOperationException($"SQLite error {rc}: {raw.sqlite3_errmsg(connection.Handle).utf8_to_string()}");
        }
    }

    /// <summary>Binary COPY, value by value.</summary>
    private sealed class CopyWriter(NpgsqlBinaryImporter importer) : IRowWriter
    {
        public void StartRow() => importer.StartRow();

        public void Null() => importer.WriteNull();

        public void Uuid(Guid value) => importer.Write(value, NpgsqlDbType.Uuid);

        public void Text(string value) => importer.Write(value, NpgsqlDbType.Text);

        public void Int(int value) => importer.Write(value, NpgsqlDbType.Integer);

        public void Long(long value) => importer.Write(value, NpgsqlDbType.Bigint);

        public void Bool(bool value) => importer.Write(value, NpgsqlDbType.Boolean);

        public void Time(DateTime value) => importer.Write(value, NpgsqlDbType.TimestampTz);

        public void TextArray(string[] value) => importer.Write(value, NpgsqlDbType.Array | NpgsqlDbType.Text);

        public void Json(string value) => importer.Write(value, NpgsqlDbType.Jsonb);

        public void EndRow()
        {
        }
    }

    /// <summary>
    /// Binds each value of a row to the prepared INSERT (ids and timestamps formatted as the library stores them, into a
    /// stack buffer), then steps and resets it.
    /// </summary>
    private sealed class InsertWriter(SqliteConnection connection, sqlite3_stmt statement, bool upper) : IRowWriter
    {
        private readonly Dictionary<string[], string> arrays = new(ReferenceEqualityComparer.Instance);
        private int column;

        public void StartRow() => column = 0;

        public void Null() => Bind(raw.sqlite3_bind_null(statement, ++column));

        public void Uuid(Guid value)
        {
            Span<byte> text = stackalloc byte[36];
            value.TryFormat(text, out _, "D");
            if (upper)
            {
                for (var i = 0; i < text.Length; i++)
                {
                    text[i] = text[i] is >= (byte)'a' and <= (byte)'f' ? (byte)(text[i] - 32) : text[i];
                }
            }

            Bind(raw.sqlite3_bind_text(statement, ++column, text));
        }

        public void Text(string value) => Bind(raw.sqlite3_bind_text(statement, ++column, value));

        public void Int(int value) => Bind(raw.sqlite3_bind_int(statement, ++column, value));

        public void Long(long value) => Bind(raw.sqlite3_bind_int64(statement, ++column, value));

        public void Bool(bool value) => Bind(raw.sqlite3_bind_int(statement, ++column, value ? 1 : 0));

        public void Time(DateTime value)
        {
            Span<byte> text = stackalloc byte[32];
            value.TryFormat(text, out var written, "yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);
            Bind(raw.sqlite3_bind_text(statement, ++column, text[..written]));
        }

        public void TextArray(string[] value)
        {
            if (!arrays.TryGetValue(value, out var json))
            {
                json = JsonSerializer.Serialize(value);
                arrays[value] = json;
            }

            Text(json);
        }

        public void Json(string value) => Text(value);

        public void EndRow()
        {
            Check(connection, raw.sqlite3_step(statement));
            Check(connection, raw.sqlite3_reset(statement));
        }

        private void Bind(int rc) => Check(connection, rc);
    }
}
