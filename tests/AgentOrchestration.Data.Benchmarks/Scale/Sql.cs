using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace AgentOrchestration.Data.Benchmarks.Scale;

/// <summary>Raw ADO.NET on the scale database: run a query to the end, time it, and read its plan.</summary>
internal sealed partial class Sql(BenchDatabase database) : IAsyncDisposable
{
    private DbConnection? connection;

    public bool IsPostgres => database.IsPostgres;

    public async Task<DbConnection> ConnectionAsync()
    {
        if (connection is null)
        {
            connection = IsPostgres ? new NpgsqlConnection(database.ConnectionString) : new SqliteConnection(database.ConnectionString);
            await connection.OpenAsync();
            if (connection is SqliteConnection sqlite)
            {
                AddEfFunctions(sqlite);
            }
        }

        return connection;
    }

    /// <summary>A parameter value as the provider stores it (SQLite: ids and timestamps as the library's text).</summary>
    public object Value(object value) => IsPostgres ? value : value switch
    {
        Guid g => g.ToString().ToUpperInvariant(),
        DateTime t => t.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
        _ => value,
    };

    public DbParameter Parameter(string name, object value) =>
        IsPostgres ? new NpgsqlParameter(name, Value(value)) : new SqliteParameter(name, Value(value));

    /// <summary>Runs the command and reads every row; returns the rows read.</summary>
    public async Task<int> RunAsync(string text, IEnumerable<DbParameter> parameters)
    {
        var c = await ConnectionAsync();
        await using var command = c.CreateCommand();
        command.CommandText = text;
        command.CommandTimeout = 600;
        foreach (var p in parameters)
        {
            command.Parameters.Add(Copy(p));
        }

        await using var reader = await command.ExecuteReaderAsync();
        var rows = 0;
        do
        {
            var values = new object[reader.FieldCount];
            while (await reader.ReadAsync())
            {
                reader.GetValues(values);
                rows++;
            }
        }
        while (await reader.NextResultAsync());
        return rows;
    }

    /// <summary>
    /// The median time of <paramref name="runs"/> runs after one unmeasured run; with a <paramref name="budget"/>, no run
    /// after the first <paramref name="minimum"/> starts once the measured ones took that long together (a query of a
    /// second is as stable after five runs as after fifteen, and one of several seconds after one or two). When the
    /// unmeasured run alone took longer than the budget (a scan of seconds, whose caches the run itself warmed), it
    /// is the measurement.
    /// </summary>
    public static async Task<double> MedianAsync(int runs, Func<Task> run, TimeSpan? budget = null, int minimum = 1)
    {
        var first = Stopwatch.GetTimestamp();
        await run();
        if (budget is { } limit && minimum <= 1 && Stopwatch.GetElapsedTime(first) > limit)
        {
            return Stopwatch.GetElapsedTime(first).TotalMilliseconds;
        }

        var times = new List<double>();
        var spent = 0.0;
        for (var i = 0; i < Math.Max(1, runs) && (budget is null || i < Math.Max(1, minimum) || spent < budget.Value.TotalMilliseconds); i++)
        {
            var started = Stopwatch.GetTimestamp();
            await run();
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            spent += times[^1];
        }

        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL (in a transaction rolled back, so a write is not kept), EXPLAIN QUERY PLAN on SQLite.</summary>
    public async Task<(string Text, bool UsesIndex)> PlanAsync(string text, IEnumerable<DbParameter> parameters)
    {
        var c = await ConnectionAsync();
        await using var transaction = IsPostgres ? await c.BeginTransactionAsync() : null;
        await using var command = c.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = (IsPostgres ? "EXPLAIN (ANALYZE, BUFFERS) " : "EXPLAIN QUERY PLAN ") + text;
        command.CommandTimeout = 600;
        foreach (var p in parameters)
        {
            command.Parameters.Add(Copy(p));
        }

        var lines = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                lines.Add(IsPostgres ? reader.GetString(0) : $"{reader.GetValue(0)}|{reader.GetValue(1)}| {reader.GetString(3)}");
            }
        }

        if (transaction is not null)
        {
            await transaction.RollbackAsync();
        }

        var plan = string.Join('\n', lines);
        return (plan, (IsPostgres ? PostgresIndex() : SqliteIndex()).IsMatch(plan));
    }

    /// <summary>Drops every index of the library's tables that backs no key (primary, unique or alternate key constraint); returns their names.</summary>
    public async Task<List<string>> DropSecondaryIndexesAsync()
    {
        var names = new List<string>();
        var c = await ConnectionAsync();
        await using (var command = c.CreateCommand())
        {
            command.CommandText = IsPostgres
                ? """
                  SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
                  WHERE n.nspname = current_schema() AND NOT i.indisprimary AND t.relname NOT LIKE '\_\_%'
                    AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                  """
                : "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                names.Add(reader.GetString(0));
            }
        }

        foreach (var name in names)
        {
            await using var drop = c.CreateCommand();
            drop.CommandText = $"DROP INDEX {name}";
            await drop.ExecuteNonQueryAsync();
        }

        await using (var analyze = c.CreateCommand())
        {
            analyze.CommandText = "ANALYZE";
            analyze.CommandTimeout = 600;
            await analyze.ExecuteNonQueryAsync();
        }

        return names;
    }

    public async ValueTask DisposeAsync()
    {
        if (connection is not null)
        {
            await connection.DisposeAsync();
        }
    }

    /// <summary>
    /// EF Core's SQLite provider computes decimals (stored as text) with functions it registers on each connection it
    /// opens; SQL it generated needs them on a raw connection too. The same arithmetic, written here.
    /// </summary>
    private static void AddEfFunctions(SqliteConnection connection)
    {
        connection.CreateAggregate<decimal?, decimal?, decimal?>("ef_sum", null, (total, value) => value is null ? total : (total ?? 0) + value, total => total, isDeterministic: true);
        connection.CreateAggregate<decimal?, decimal?, decimal?>("ef_max", null, (max, value) => value is null ? max : max is null || value > max ? value : max, max => max, isDeterministic: true);
        connection.CreateAggregate<decimal?, decimal?, decimal?>("ef_min", null, (min, value) => value is null ? min : min is null || value < min ? value : min, min => min, isDeterministic: true);
        connection.CreateFunction<decimal?, decimal?, decimal?>("ef_add", (a, b) => a + b, isDeterministic: true);
        connection.CreateFunction<decimal?, decimal?, decimal?>("ef_multiply", (a, b) => a * b, isDeterministic: true);
        connection.CreateFunction<decimal?, decimal?, decimal?>("ef_divide", (a, b) => a / b, isDeterministic: true);
        connection.CreateFunction<decimal?, decimal?, decimal?>("ef_mod", (a, b) => a % b, isDeterministic: true);
        connection.CreateFunction<decimal?, decimal?>("ef_negate", a => -a, isDeterministic: true);
        connection.CreateFunction<decimal?, decimal?, int?>("ef_compare", (a, b) => a is null || b is null ? null : a.Value.CompareTo(b.Value), isDeterministic: true);
    }

    private static DbParameter Copy(DbParameter p) => p switch
    {
        NpgsqlParameter n => n.Clone(),
        // EF's SQLite provider binds ids as upper-case text (how it stores them); a plain parameter would bind a Guid as a blob.
        SqliteParameter s => new SqliteParameter(s.ParameterName, s.Value is Guid g ? g.ToString().ToUpperInvariant() : s.Value),
        _ => throw new InvalidOperationException($"Cannot copy a {p.GetType()}."),
    };

    [GeneratedRegex("Index Scan|Index Only Scan|Bitmap Index Scan")]
    private static partial Regex PostgresIndex();

    [GeneratedRegex("USING (COVERING )?INDEX|USING (INTEGER )?PRIMARY KEY")]
    private static partial Regex SqliteIndex();
}
