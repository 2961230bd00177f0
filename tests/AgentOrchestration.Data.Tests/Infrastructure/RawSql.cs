using System.Data.Common;
using System.Globalization;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>Plain SQL against a test database, with values written the way EF Core stores them on each provider.</summary>
public static class RawSql
{
    public static async Task InsertAsync(DbContext context, string table, IReadOnlyDictionary<string, object?> values)
    {
        var connection = context.Database.GetDbConnection();
        await context.Database.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        var columns = values.Keys.ToList();
        command.CommandText = $"INSERT INTO \"{table}\" ({string.Join(", ", columns.Select(c => $"\"{c}\""))}) VALUES ({string.Join(", ", columns.Select((_, i) => $"@p{i}"))})";
        for (var i = 0; i < columns.Count; i++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = $"p{i}";
            parameter.Value = Store(context, values[columns[i]]) ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        await command.ExecuteNonQueryAsync();
    }

    public static async Task<object?> ScalarAsync(DbContext context, string sql)
    {
        var connection = context.Database.GetDbConnection();
        await context.Database.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    public static async Task<long> CountAsync(DbContext context, string table, string? where = null) =>
        Convert.ToInt64(await ScalarAsync(context, $"SELECT COUNT(*) FROM \"{table}\"" + (where is null ? string.Empty : " WHERE " + where)), CultureInfo.InvariantCulture);

    public static async Task<List<string>> TablesAsync(DbContext context)
    {
        var sql = context.Database.IsSqlite()
            ? "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            : "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name";
        var connection = context.Database.GetDbConnection();
        await context.Database.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var tables = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }

    /// <summary>A literal for the stored form of a value, to compare in SQL.</summary>
    public static string Literal(DbContext context, Guid id) =>
        context.Database.IsSqlite() ? $"'{id.ToString().ToUpperInvariant()}'" : $"'{id}'";

    private static object? Store(DbContext context, object? value)
    {
        if (!context.Database.IsSqlite())
        {
            return value is DateTimeOffset offset ? offset.UtcDateTime : value;
        }

        return value switch
        {
            Guid guid => guid.ToString().ToUpperInvariant(),
            DateTimeOffset offset => offset.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
            bool flag => flag ? 1 : 0,
            _ => value,
        };
    }
}
