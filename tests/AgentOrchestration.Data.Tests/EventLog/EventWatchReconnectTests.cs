using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AgentOrchestration.Data.Tests.EventLog;

/// <summary>A watch outlives the loss of every connection it has: the listening one and the pooled ones it reads through.</summary>
public sealed class EventWatchReconnectTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private ServiceProvider services = null!;
    private Project project = null!;

    protected override bool StartsMigrated => true;

    [SetUp]
    public async Task SeedAsync()
    {
        await using (await MigratedContextAsync())
        {
        }

        services = OrchestrationServices.Create(Database, before: s => s.AddSingleton(new EventLogOptions { PollInterval = TimeSpan.FromMilliseconds(50) }));
        await using var scope = services.CreateAsyncScope();
        project = await scope.ServiceProvider.GetRequiredService<IWorkItemService>().CreateProjectAsync("feed", "Feed");
    }

    [TearDown]
    public async Task DisposeServicesAsync() => await services.DisposeAsync();

    [Test]
    public async Task A_watch_survives_the_server_terminating_its_pooled_connections()
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            Assert.Ignore("SQLite has no server to drop connections.");
        }

        await using var scope = services.CreateAsyncScope();
        var log = scope.ServiceProvider.GetRequiredService<IEventLog>();
        var start = (await log.ReadAsync(0, 1000))[^1].Sequence;
        using var cts = new CancellationTokenSource(Patience);
        await using var watch = log.WatchAsync(start, null, cts.Token).GetAsyncEnumerator(cts.Token);
        var next = watch.MoveNextAsync().AsTask();
        await using (var probe = await OpenUnpooledAsync())
        {
            await using var listening = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'", probe);
            while ((long)(await listening.ExecuteScalarAsync())! == 0)
            {
                await Task.Delay(20);
            }
        }


        // What an administrator or a failover does: every connection to the database is terminated, idle pooled ones too.
        await using (var admin = await OpenUnpooledAsync())
        {
            await using var kill = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", admin);
            Assert.That((long)(await kill.ExecuteScalarAsync())!, Is.GreaterThanOrEqualTo(2L), "the listener and a pooled reader were terminated");
        }

        await using (var writer = await OpenUnpooledAsync())
        {
            await using var insert = new NpgsqlCommand(
                "INSERT INTO orchestration_events (occurred_at, type, entity_type) VALUES (now(), 'test.after_failover', 'test')", writer);
            await insert.ExecuteNonQueryAsync();
        }

        Assert.That(await next.WaitAsync(Patience), Is.True);
        Assert.That(watch.Current.Type, Is.EqualTo("test.after_failover"));
    }

    [Test]
    public async Task A_finished_watch_leaves_no_listening_connection_behind()
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            Assert.Ignore("SQLite wakes watches without a server connection.");
        }

        // The library's pool does not reset connections on return: a LISTEN left on a pooled connection would keep
        // receiving every event's notification in whatever operation borrowed it next.
        await using (var scope = services.CreateAsyncScope())
        {
            var log = scope.ServiceProvider.GetRequiredService<IEventLog>();
            using var cts = new CancellationTokenSource(Patience);
            await using (var watch = log.WatchAsync(0, null, cts.Token).GetAsyncEnumerator(cts.Token))
            {
                Assert.That(await watch.MoveNextAsync(), Is.True, "the project's creation event");
                // Nothing more to read: the watch now waits on its listening connection.
                var next = watch.MoveNextAsync().AsTask();
                var waitUntil = DateTime.UtcNow + Patience;
                while (await ListeningAsync() == 0 && DateTime.UtcNow < waitUntil)
                {
                    await Task.Delay(20);
                }

                Assert.That(await ListeningAsync(), Is.EqualTo(1L), "the watch listens on one connection");
                await cts.CancelAsync();
                Assert.That(async () => await next, Throws.InstanceOf<OperationCanceledException>());
            }
        }

        // Returned to the pool it would stay connected, idle, its last statement the LISTEN.
        var deadline = DateTime.UtcNow + Patience;
        while (await ListeningAsync() > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.That(await ListeningAsync(), Is.Zero, "the listening connection was closed, not returned to the pool");
    }

    private async Task<long> ListeningAsync()
    {
        await using var probe = await OpenUnpooledAsync();
        await using var listening = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()", probe);
        return (long)(await listening.ExecuteScalarAsync())!;
    }

    private async Task<NpgsqlConnection> OpenUnpooledAsync()
    {
        var connection = new NpgsqlConnection(Database.ConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        return connection;
    }
}
