using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AgentOrchestration.Data.Sqlite.Connections;

/// <summary>Sets up every connection the context opens (<see cref="SqliteConnectionSetup"/>), reads included, not only the library's writes.</summary>
/// <param name="synchronous">The durability of a commit.</param>
internal sealed class SqliteConnectionInterceptor(SqliteSynchronous synchronous) : DbConnectionInterceptor
{
    public SqliteSynchronous Synchronous { get; } = synchronous;

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) =>
        SqliteConnectionSetup.Ensure((SqliteConnection)connection, Synchronous);

    // The pragmas run in-process and return at once: nothing to await.
    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        SqliteConnectionSetup.Ensure((SqliteConnection)connection, Synchronous);
        return Task.CompletedTask;
    }
}
