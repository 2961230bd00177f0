using System.Diagnostics;
using System.Text.RegularExpressions;
using Npgsql;
using NpgsqlTypes;

namespace AgentOrchestration.Data.Benchmarks.Scenarios;

/// <summary>
/// What the event log's NOTIFY costs at commit: events per second, one event per transaction (as each library operation
/// commits its events), from 1 and 16 connections, with the schema's NOTIFY on and then off in a scratch database (the
/// <c>pg_notify</c> call in a column default of <c>orchestration_events</c> replaced by an empty string, triggers of the
/// table that call it disabled). PostgreSQL queues notifications under one global lock at commit, so the cost shows
/// most with many committers.
/// </summary>
internal static partial class NotifyCost
{
    private const string Section = "NOTIFY cost at commit (PostgreSQL)";
    private const string InsertSql = """
        INSERT INTO orchestration_events (occurred_at, type, project_id, entity_type, entity_id, actor)
        VALUES (@at, 'bench.event', @project, 'work_item', @entity, 'bench')
        """;

    public static async Task RunAsync(BenchContext ctx)
    {
        await using var pg = await BenchDatabase.PostgresAsync(ctx.PostgresAdmin);
        var (project, _) = await pg.SeedAsync("notify", 0, 0);
        await using var dataSource = NpgsqlDataSource.Create(pg.ConnectionString);

        var on = new Dictionary<int, double>();
        foreach (var connections in new[] { 1, 16 })
        {
            await InsertAsync(dataSource, project, Math.Max(100, ctx.Sizes.NotifyEvents / 10), connections);
            on[connections] = await InsertAsync(dataSource, project, ctx.Sizes.NotifyEvents, connections);
        }

        var switched = await SwitchOffAsync(dataSource);
        ctx.Results.Check("NOTIFY found in the event log's schema and switched off for the comparison", switched.Count > 0, switched.Count > 0 ? string.Join("; ", switched) : "no column default or trigger of orchestration_events calls pg_notify");
        foreach (var connections in new[] { 1, 16 })
        {
            await InsertAsync(dataSource, project, Math.Max(100, ctx.Sizes.NotifyEvents / 10), connections);
            var off = await InsertAsync(dataSource, project, ctx.Sizes.NotifyEvents, connections);
            ctx.Results.Measure(Section, $"{connections} connection(s): events/s with NOTIFY", on[connections], "events/s");
            ctx.Results.Measure(Section, $"{connections} connection(s): events/s without NOTIFY", off, "events/s", $"with / without: {on[connections] / off:0.00}×");
            ctx.Log($"NOTIFY, {connections} connection(s): {on[connections]:N0} events/s on, {off:N0} off");
        }
    }

    private static async Task<double> InsertAsync(NpgsqlDataSource dataSource, Guid project, int events, int connections)
    {
        var next = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var command = new NpgsqlCommand(InsertSql, connection);
            var at = command.Parameters.Add("at", NpgsqlDbType.TimestampTz);
            command.Parameters.Add("project", NpgsqlDbType.Uuid).Value = project;
            var entity = command.Parameters.Add("entity", NpgsqlDbType.Uuid);
            await command.PrepareAsync();
            while (Interlocked.Increment(ref next) <= events)
            {
                at.Value = DateTime.UtcNow;
                entity.Value = Guid.CreateVersion7();
                await command.ExecuteNonQueryAsync();
            }
        })));
        return events / watch.Elapsed.TotalSeconds;
    }

    /// <summary>Replaces every pg_notify of the event table's defaults and disables its triggers that notify; says what it changed.</summary>
    private static async Task<List<string>> SwitchOffAsync(NpgsqlDataSource dataSource)
    {
        var changed = new List<string>();
        await using var connection = await dataSource.OpenConnectionAsync();
        var defaults = new List<(string Column, string Expression)>();
        await using (var command = new NpgsqlCommand("""
            SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d
            JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
            WHERE d.adrelid = 'orchestration_events'::regclass AND pg_get_expr(d.adbin, d.adrelid) LIKE '%pg_notify%'
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                defaults.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        foreach (var (column, expression) in defaults)
        {
            var without = NotifyCall().Replace(expression, "''::text");
            await using var alter = new NpgsqlCommand($"ALTER TABLE orchestration_events ALTER COLUMN \"{column}\" SET DEFAULT {without}", connection);
            await alter.ExecuteNonQueryAsync();
            changed.Add($"default of {column}: {expression} → {without}");
        }

        var triggers = new List<string>();
        await using (var command = new NpgsqlCommand("""
            SELECT t.tgname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
            WHERE t.tgrelid = 'orchestration_events'::regclass AND NOT t.tgisinternal AND p.prosrc LIKE '%pg_notify%'
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                triggers.Add(reader.GetString(0));
            }
        }

        foreach (var trigger in triggers)
        {
            await using var alter = new NpgsqlCommand($"ALTER TABLE orchestration_events DISABLE TRIGGER \"{trigger}\"", connection);
            await alter.ExecuteNonQueryAsync();
            changed.Add($"trigger {trigger} disabled");
        }

        return changed;
    }

    [GeneratedRegex(@"pg_notify\([^()]*\)(::text)?")]
    private static partial Regex NotifyCall();
}
