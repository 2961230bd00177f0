using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>Every row of every table of a test database, in key order, as text: equal dumps mean an unchanged database.</summary>
public static class DatabaseDump
{
    /// <summary>The rows of every table, or of the <paramref name="only"/> tables.</summary>
    public static async Task<string> AllRowsAsync(DbContext context, params string[] only)
    {
        var keys = context.Model.GetEntityTypes()
            .Where(t => t.GetTableName() is not null && t.FindPrimaryKey() is not null)
            .GroupBy(t => t.GetTableName()!)
            .ToDictionary(g => g.Key, g => g.First().FindPrimaryKey()!.Properties.Select(p => p.GetColumnName()).ToList());
        var connection = context.Database.GetDbConnection();
        await context.Database.OpenConnectionAsync();
        var dump = new StringBuilder();
        foreach (var table in (await RawSql.TablesAsync(context)).Where(t => only.Length == 0 || only.Contains(t)))
        {
            var columns = new List<string>();
            await using (var probe = connection.CreateCommand())
            {
                probe.CommandText = $"SELECT * FROM \"{table}\" WHERE 1 = 0";
                await using var schema = await probe.ExecuteReaderAsync();
                for (var i = 0; i < schema.FieldCount; i++)
                {
                    columns.Add(schema.GetName(i));
                }
            }

            // Key order for the library's tables (keys are unique); the few others (migration history) by every column.
            var order = (keys.TryGetValue(table, out var key) ? key : columns).Select(c => $"\"{c}\"");
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM \"{table}\" ORDER BY {string.Join(", ", order)}";
            await using var reader = await command.ExecuteReaderAsync();
            dump.Append("## ").Append(table).Append('\n');
            while (await reader.ReadAsync())
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    dump.Append(i == 0 ? string.Empty : " | ").Append(Format(reader.IsDBNull(i) ? null : reader.GetValue(i)));
                }

                dump.Append('\n');
            }
        }

        return dump.ToString();
    }

    private static string Format(object? value) => value switch
    {
        null => "NULL",
        byte[] bytes => Convert.ToHexString(bytes),
        DateTime time => time.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset time => time.ToString("O", CultureInfo.InvariantCulture),
        string text => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty,
    };
}
