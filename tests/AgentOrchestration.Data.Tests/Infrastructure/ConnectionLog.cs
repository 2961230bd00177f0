using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>Counts how often EF Core opens a connection, to show that a multi-command read reuses one.</summary>
public sealed class ConnectionLog : DbConnectionInterceptor
{
    private int opened;

    public int Opened => Volatile.Read(ref opened);

    public void Clear() => Interlocked.Exchange(ref opened, 0);

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Interlocked.Increment(ref opened);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref opened);
        return Task.CompletedTask;
    }
}
