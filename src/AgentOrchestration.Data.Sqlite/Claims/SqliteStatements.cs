using System.Globalization;
using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Modeling;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace AgentOrchestration.Data.Sqlite.Claims;

/// <summary>
/// What the SQLite hot-path statements share: values in the exact text EF Core stores them as (so the statements' rows
/// and JSON are the ones EF Core would write, and compare with them as text), and commands on EF Core's connection in
/// its current transaction.
/// </summary>
internal static class SqliteStatements
{
    /// <summary>A <see cref="Guid"/> as EF Core stores it on SQLite: upper-case text, in columns and in JSON.</summary>
    public static string Id(Guid value) => value.ToString("D").ToUpperInvariant();

    /// <summary>A time as the model stores it on SQLite (UTC, microseconds; see <see cref="UtcTimestampConverter"/>), in columns and in JSON.</summary>
    public static string At(DateTimeOffset value) =>
        UtcTimestampConverter.ToStore(value).ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);

    /// <summary>A JSON array of stored ids (nothing in them to escape), for <c>json_each</c>: one statement text for any count.</summary>
    public static string JsonArray(IEnumerable<string> ids) => "[" + string.Join(",", ids.Select(id => "\"" + id + "\"")) + "]";

    /// <summary>The SQL built once per model (table and column names come from it, so a host's prefix or renames apply).</summary>
    public static TSql For<TSql>(ConditionalWeakTable<IModel, TSql> cache, DbContext db, Func<StoreNames, TSql> build)
        where TSql : class =>
        cache.GetValue(db.Model, _ => build(new StoreNames(db)));

    /// <summary>A command on the context's connection, in its current transaction (the one holding the write lock).</summary>
    public static SqliteCommand Command(DbContext db, string sql)
    {
        var command = ((SqliteConnection)db.Database.GetDbConnection()).CreateCommand();
        command.Transaction = (SqliteTransaction?)db.Database.CurrentTransaction?.GetDbTransaction();
        command.CommandText = sql;
        return command;
    }

    /// <summary>Adds a parameter; <see langword="null"/> is SQL NULL.</summary>
    public static SqliteCommand With(this SqliteCommand command, string name, object? value)
    {
        command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }
}
