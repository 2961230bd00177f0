using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Modeling;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.PostgreSql.Storage;

/// <summary>
/// The server's time at which the newest library lock of a context's transaction was granted: the locking statement
/// reads <c>clock_timestamp()</c> after it holds the lock, so the decision that follows under that lock needs no round
/// trip of its own to learn the time.
/// </summary>
internal static class ServerClock
{
    private static readonly ConditionalWeakTable<DbContext, Reading> Readings = [];

    /// <summary>Selects the server's time once the rows (or advisory lock) of the query in the <c>FROM</c> clause are held.</summary>
    public const string AfterLock = "clock_timestamp() AS \"Value\"";

    public static void Record(DbContext context, DateTime serverUtc)
    {
        if (context.Database.CurrentTransaction is { } transaction)
        {
            Readings.AddOrUpdate(context, new Reading(transaction.TransactionId, UtcTimestampConverter.FromStore(serverUtc)));
        }
    }

    public static async Task<DateTimeOffset> NowAsync(DbContext context, bool afterLock, CancellationToken cancellationToken)
    {
        if (afterLock && context.Database.CurrentTransaction is { } transaction && Readings.TryGetValue(context, out var reading) && reading.TransactionId == transaction.TransactionId)
        {
            return reading.At;
        }

        var now = await context.Database.SqlQueryRaw<DateTime>($"SELECT {AfterLock}").ToListAsync(cancellationToken).ConfigureAwait(false);
        return UtcTimestampConverter.FromStore(now[0]);
    }

    private sealed record Reading(Guid TransactionId, DateTimeOffset At);
}
