using System.Globalization;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>Every row of every table as text, sorted: equal snapshots mean nothing was written in between.</summary>
public static class DatabaseSnapshot
{
    public static async Task<string> TakeAsync(DbContext context)
    {
        var lines = new List<string>();
        foreach (var table in await RawSql.TablesAsync(context))
        {
            await using var command = context.Database.GetDbConnection().CreateCommand();
            command.CommandText = $"SELECT * FROM \"{table}\"";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var values = new object[reader.FieldCount];
                reader.GetValues(values);
                lines.Add(table + ": " + string.Join(" | ", values.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))));
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return string.Join('\n', lines);
    }
}
