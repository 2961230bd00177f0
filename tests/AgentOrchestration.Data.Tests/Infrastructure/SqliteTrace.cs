using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using SQLitePCL;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>
/// Every statement SQLite runs on one context's connection (<c>sqlite3_trace</c>, the count the bench's round-trip table
/// reports): EF Core's commands, the library's plain statements, BEGIN and COMMIT alike. The library's own context keeps
/// its connection open from its first write, so what one call runs is what is traced between two reads of
/// <see cref="Statements"/>. On PostgreSQL it traces nothing.
/// </summary>
public sealed class SqliteTrace : IDisposable
{
    private readonly List<string> statements = [];
    private readonly sqlite3? handle;

    private SqliteTrace(sqlite3? handle)
    {
        this.handle = handle;
        if (handle is not null)
        {
            raw.sqlite3_trace(handle, (_, sql) => Record(sql.utf8_to_string()), null);
        }
    }

    /// <summary>Opens the context's connection (kept open by the library afterwards) and traces it.</summary>
    public static async Task<SqliteTrace> StartAsync(DbContext context)
    {
        await context.Database.OpenConnectionAsync();
        return new SqliteTrace(context.Database.GetDbConnection() is SqliteConnection connection ? connection.Handle : null);
    }

    /// <summary>What <paramref name="action"/> ran, in order, without the statements of triggers (traced as comments).</summary>
    public async Task<IReadOnlyList<string>> RecordAsync(Func<Task> action)
    {
        lock (statements)
        {
            statements.Clear();
        }

        await action();
        lock (statements)
        {
            return [.. statements];
        }
    }

    public void Dispose()
    {
        if (handle is not null)
        {
            raw.sqlite3_trace(handle, (delegate_trace?)null, null);
        }
    }

    /// <summary>
    /// Asserts the SQLite hot-path shape: one write transaction (BEGIN first, COMMIT last, nothing outside it, so
    /// no LINQ query ran before or after) with at most <paramref name="most"/> statements inside.
    /// </summary>
    public static void AssertOneTransaction(IReadOnlyList<string> ran, int most, string operation)
    {
        var text = $"{operation} ran:\n  " + string.Join("\n  ", ran);
        Assert.That(ran.Count, Is.GreaterThanOrEqualTo(2), text);
        Assert.Multiple(() =>
        {
            Assert.That(ran[0], Does.StartWith("BEGIN"), text);
            Assert.That(ran[^1], Does.StartWith("COMMIT"), text);
            Assert.That(ran.Count(s => s.StartsWith("BEGIN", StringComparison.OrdinalIgnoreCase)), Is.EqualTo(1), text);
            Assert.That(ran.Count - 2, Is.LessThanOrEqualTo(most), text);
        });
    }

    private void Record(string sql)
    {
        if (sql.StartsWith("--", StringComparison.Ordinal))
        {
            return;
        }

        lock (statements)
        {
            statements.Add(sql);
        }
    }
}
