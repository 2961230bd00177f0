using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AgentOrchestration.Data.Benchmarks;

/// <summary>Records every command EF Core sends with its parameters, to run the same SQL again (plans, raw ADO.NET baselines).</summary>
internal sealed class CommandLog : DbCommandInterceptor
{
    private readonly ConcurrentQueue<(string Text, DbParameter[] Parameters)> commands = new();

    public IReadOnlyList<(string Text, DbParameter[] Parameters)> Commands => [.. commands];

    public void Clear() => commands.Clear();

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Record(command);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Record(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        Record(command);
        return result;
    }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        Record(command);
        return ValueTask.FromResult(result);
    }

    private void Record(DbCommand command) =>
        commands.Enqueue((command.CommandText, [.. command.Parameters.Cast<DbParameter>().Select(Clone)]));

    private static DbParameter Clone(DbParameter p) => p switch
    {
        Npgsql.NpgsqlParameter n => n.Clone(),
        Microsoft.Data.Sqlite.SqliteParameter s => new Microsoft.Data.Sqlite.SqliteParameter(s.ParameterName, s.Value) { DbType = s.DbType, SqliteType = s.SqliteType, Size = s.Size },
        _ => throw new InvalidOperationException($"Cannot copy a {p.GetType()}."),
    };
}
