using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>Pins interleavings on PostgreSQL: waits until a given number of the test database's backends wait for a lock.</summary>
public static class PostgresWaits
{
    /// <summary>Returns once at least <paramref name="count"/> backends of the test database are waiting for a lock (for 60 s at most).</summary>
    public static async Task UntilBlockedAsync(TestDatabase database, int count = 1)
    {
        await using var probe = database.CreateContext();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var waiting = Convert.ToInt64(await RawSql.ScalarAsync(probe,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"), System.Globalization.CultureInfo.InvariantCulture);
            if (waiting >= count)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{waiting} backends wait for a lock; expected {count}.");
            }

            await Task.Delay(20);
        }
    }
}
