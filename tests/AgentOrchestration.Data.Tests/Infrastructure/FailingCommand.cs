using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>
/// Makes the next command whose text matches fail in the database itself (it is sent as a query of a missing table), to
/// fail a library operation half-way with a real provider error: on PostgreSQL one that aborts the transaction.
/// </summary>
public sealed class FailingCommand : DbCommandInterceptor
{
    private Func<string, bool>? armed;

    /// <summary>Gets how many commands were failed.</summary>
    public int Failed { get; private set; }

    /// <summary>Fails the next command whose text <paramref name="matches"/>, once.</summary>
    public void FailNext(Func<string, bool> matches) => armed = matches;

    private void Apply(DbCommand command)
    {
        if (armed is { } matches && matches(command.CommandText))
        {
            armed = null;
            Failed++;
            command.CommandText = "SELECT * FROM injected_failure_no_such_table";
            command.Parameters.Clear();
        }
    }

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Apply(command);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Apply(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Apply(command);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Apply(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        Apply(command);
        return result;
    }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        Apply(command);
        return ValueTask.FromResult(result);
    }
}
