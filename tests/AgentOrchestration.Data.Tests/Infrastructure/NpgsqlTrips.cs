using System.Diagnostics;
using Npgsql;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>
/// Counts what Npgsql sends to one test database (each command or batch is one traced round trip), from Npgsql's own
/// tracing: it also sees the library's NpgsqlBatch on EF's connection, which an EF interceptor does not.
/// </summary>
public sealed class NpgsqlTrips : IDisposable
{
    private readonly ActivityListener listener;
    private readonly string database;
    private int count;

    /// <summary>Counts for <paramref name="test"/>'s database; on SQLite it counts nothing.</summary>
    public NpgsqlTrips(TestDatabase test)
    {
        database = test.Provider == DatabaseProvider.PostgreSql ? new NpgsqlConnectionStringBuilder(test.ConnectionString).Database! : "\0 no PostgreSQL database";
        listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                // Other tests run in parallel on other databases: only this one's commands count.
                if (activity.TagObjects.Any(t => t.Value is string value && value == database))
                {
                    Interlocked.Increment(ref count);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
    }

    public int Count => Volatile.Read(ref count);

    /// <summary>How many round trips <paramref name="action"/> sent.</summary>
    public async Task<int> CountAsync(Func<Task> action)
    {
        var before = Count;
        await action();
        return Count - before;
    }

    public void Dispose() => listener.Dispose();
}
