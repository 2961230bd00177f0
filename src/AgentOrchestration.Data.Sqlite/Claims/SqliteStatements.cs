using System.Globalization;
using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Storage;
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
    /// <summary>The commands of each open connection, by statement text (the per-model instances, so by reference).</summary>
    private static readonly ConditionalWeakTable<SqliteConnection, Dictionary<string, SqliteCommand>> Commands = [];

    /// <summary>The contexts whose current write transaction runs on their gate's kept connection (<see cref="Storage.WriterGate"/>), with it.</summary>
    private static readonly ConditionalWeakTable<DbContext, SqliteTransaction> OnKeptWriter = [];

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

    /// <summary>
    /// The command for <paramref name="sql"/> on the context's connection, in its current transaction (the one holding the
    /// write lock), with no parameters. One per statement and open connection, kept while the connection stays open, so
    /// SQLite compiles each statement once per connection rather than at every call (the claim's costs more to compile
    /// than to run); Microsoft.Data.Sqlite finalizes it when the connection closes, and the next open gets a new one.
    /// The caller does not dispose it.
    /// </summary>
    public static SqliteCommand Command(DbContext db, string sql)
    {
        var kept = OnKeptWriter.TryGetValue(db, out var onKept) ? onKept : null;
        var connection = kept?.Connection ?? (SqliteConnection)db.Database.GetDbConnection();
        if (!Commands.TryGetValue(connection, out var commands))
        {
            commands = new Dictionary<string, SqliteCommand>(ReferenceEqualityComparer.Instance);
            Commands.Add(connection, commands);
            connection.StateChange += static (sender, e) =>
            {
                if (e.CurrentState != System.Data.ConnectionState.Open && sender is SqliteConnection closed)
                {
                    Commands.Remove(closed);
                }
            };
        }

        if (!commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            commands.Add(sql, command);
        }

        command.Transaction = kept ?? (SqliteTransaction?)db.Database.CurrentTransaction?.GetDbTransaction();
        command.Parameters.Clear();
        return command;
    }

    /// <summary>
    /// The connection <see cref="Command"/> runs the context's statements on: its gate's kept connection while the
    /// context's write transaction runs there, else the context's own. SQL functions the statements call are registered
    /// on this one.
    /// </summary>
    public static SqliteConnection Connection(DbContext db) =>
        OnKeptWriter.TryGetValue(db, out var kept) && kept.Connection is { } connection ? connection : (SqliteConnection)db.Database.GetDbConnection();

    /// <summary>
    /// The write transaction for a hot path's plain statements: on the gate's kept connection when other writers of the
    /// process queue for the file (<see cref="Storage.SqliteOrchestrationProvider.BeginStatementsAsync"/>), else as
    /// <see cref="IOrchestrationProvider.BeginSerializedAsync"/>. Only <see cref="Command"/>'s statements may run in it.
    /// </summary>
    public static Task<IDbContextTransaction> BeginStatementsAsync(IOrchestrationProvider provider, DbContext db, string scope, CancellationToken cancellationToken) =>
        provider is Storage.SqliteOrchestrationProvider sqlite
            ? sqlite.BeginStatementsAsync(db, scope, cancellationToken)
            : provider.BeginSerializedAsync(db, scope, cancellationToken);

    /// <summary>From here until <see cref="LeaveKeptWriter"/>, the context's statements run in <paramref name="transaction"/>.</summary>
    internal static void UseKeptWriter(DbContext db, SqliteTransaction transaction) => OnKeptWriter.AddOrUpdate(db, transaction);

    /// <summary>The context's statements run on its own connection again.</summary>
    internal static void LeaveKeptWriter(DbContext db) => OnKeptWriter.Remove(db);

    /// <summary>Adds a parameter; <see langword="null"/> is SQL NULL.</summary>
    public static SqliteCommand With(this SqliteCommand command, string name, object? value)
    {
        command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }
}
