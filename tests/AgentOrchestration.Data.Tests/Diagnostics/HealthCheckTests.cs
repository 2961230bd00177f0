using System.Globalization;
using AgentOrchestration.Data.Diagnostics;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Migrations;
using AgentOrchestration.Data.PostgreSql.EventLog;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace AgentOrchestration.Data.Tests.Diagnostics;

/// <summary>The health checks of <c>AddHealthChecks().AddAgentOrchestration()</c>, run by the real health check service against real databases.</summary>
public sealed class HealthCheckTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private const string DatabaseCheck = "agent_orchestration.database";
    private const string MigrationsCheck = "agent_orchestration.migrations";
    private const string FeedCheck = "agent_orchestration.event_feed";

    [Test]
    public async Task A_migrated_reachable_database_is_healthy()
    {
        await using (await MigratedContextAsync())
        {
        }

        await using var services = Services();
        var report = await CheckAsync(services);

        Assert.That(report.Entries.Keys, Is.EquivalentTo(new[] { DatabaseCheck, MigrationsCheck, FeedCheck }));
        Assert.That(report.Status, Is.EqualTo(HealthStatus.Healthy), () => Describe(report));
    }

    [Test]
    public async Task A_database_that_does_not_answer_is_unhealthy_without_its_connection_string()
    {
        const string Secret = "not-a-real-password-7f3a";
        var connectionString = Provider == DatabaseProvider.Sqlite
            ? $"Data Source={Path.Combine(Path.GetTempPath(), "ao-missing-" + Guid.NewGuid().ToString("N"), "agents.db")};Mode=ReadWrite"
            : $"Host=127.0.0.1;Port=1;Username=postgres;Password={Secret};Timeout=3";
        var collection = new ServiceCollection();
        collection.AddLogging();
        collection.AddHealthChecks().AddAgentOrchestration();
        collection.AddAgentOrchestration(o =>
        {
            if (Provider == DatabaseProvider.Sqlite)
            {
                o.UseSqlite(connectionString);
            }
            else
            {
                o.UsePostgreSql(connectionString);
            }
        });
        await using var services = collection.BuildServiceProvider();

        var report = await CheckAsync(services);

        var database = report.Entries[DatabaseCheck];
        Assert.That(database.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(database.Description, Does.StartWith("The database does not answer"));
        Assert.That(database.Exception, Is.Not.Null);
        Assert.That(report.Entries[MigrationsCheck].Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(report.Entries.Values.Select(e => e.Description), Has.None.Contain(Secret).And.None.Contain(connectionString));
    }

    [Test]
    public async Task A_database_migrated_to_an_earlier_step_reports_its_pending_migrations()
    {
        await using var services = Services();
        IReadOnlyList<string> all;
        await using (var scope = services.CreateAsyncScope())
        {
            var migrator = scope.ServiceProvider.GetRequiredService<IAgentOrchestrationMigrator>();
            all = migrator.GetMigrations();
            await migrator.MigrateToAsync(all[^2]);
        }

        var behind = await CheckAsync(services);
        await using (var scope = services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<IAgentOrchestrationMigrator>().MigrateAsync();
        }

        var current = await CheckAsync(services);

        var migrations = behind.Entries[MigrationsCheck];
        Assert.That(migrations.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(migrations.Description, Does.Contain(all[^1]).And.StartWith("1 migration(s) are not applied"));
        Assert.That(migrations.Data["pending"], Is.EqualTo(new[] { all[^1] }));
        Assert.That(behind.Entries[DatabaseCheck].Status, Is.EqualTo(HealthStatus.Healthy));
        Assert.That(current.Entries[MigrationsCheck].Status, Is.EqualTo(HealthStatus.Healthy));
    }

    [Test]
    public async Task An_event_writer_transaction_open_past_the_threshold_is_reported_as_stalling_the_feed()
    {
        string key;
        await using (var context = await MigratedContextAsync())
        {
            key = Provider == DatabaseProvider.PostgreSql
                ? EventFeedSchema.LockKey(EventFeedSchema.Channel(context.Model)).ToString(CultureInfo.InvariantCulture)
                : string.Empty;
        }

        await using var strict = Services(o => o.EventFeedStallThreshold = TimeSpan.FromMilliseconds(1));
        await using var lenient = Services();
        if (Provider == DatabaseProvider.Sqlite)
        {
            Assert.That((await CheckAsync(strict)).Entries[FeedCheck].Status, Is.EqualTo(HealthStatus.Healthy), "SQLite's feed has no writer horizon");
            return;
        }

        // What an event insert's column default does first: take the feed's writer lock, then stay open.
        await using var writer = new NpgsqlConnection(Database.ConnectionString + ";Application Name=stalling-writer");
        await writer.OpenAsync();
        await using var transaction = await writer.BeginTransactionAsync();
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_xact_lock_shared({EventFeedSchema.WriterLockClass}, {key}), pg_sleep(0.05)", writer, transaction))
        {
            await take.ExecuteNonQueryAsync();
        }

        var held = await CheckAsync(strict);
        var heldLenient = await CheckAsync(lenient);
        await transaction.CommitAsync();
        var released = await CheckAsync(strict);

        var feed = held.Entries[FeedCheck];
        Assert.That(feed.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(feed.Description, Does.Contain("stalling-writer").And.Contain("held back"));
        Assert.That(feed.Data["pid"], Is.EqualTo(writer.ProcessID));
        Assert.That(heldLenient.Entries[FeedCheck].Status, Is.EqualTo(HealthStatus.Healthy), "open for less than the default minute");
        Assert.That(released.Entries[FeedCheck].Status, Is.EqualTo(HealthStatus.Healthy));
    }

    [Test]
    public void Options_out_of_range_are_refused_at_registration_naming_the_option()
    {
        var collection = new ServiceCollection();

        var zero = Assert.Throws<ArgumentOutOfRangeException>(() => collection.AddHealthChecks().AddAgentOrchestration(o => o.EventFeedStallThreshold = TimeSpan.Zero));
        var huge = Assert.Throws<ArgumentOutOfRangeException>(() => collection.AddHealthChecks().AddAgentOrchestration(o => o.EventFeedStallThreshold = TimeSpan.FromDays(2)));
        var prefix = Assert.Throws<ArgumentException>(() => collection.AddHealthChecks().AddAgentOrchestration(o => o.NamePrefix = " "));

        Assert.That(zero!.Message, Does.Contain("EventFeedStallThreshold must be more than zero and at most 1.00:00:00"));
        Assert.That(huge!.ParamName, Is.EqualTo(nameof(AgentOrchestrationHealthCheckOptions.EventFeedStallThreshold)));
        Assert.That(prefix!.Message, Does.Contain("NamePrefix"));
    }

    private ServiceProvider Services(Action<AgentOrchestrationHealthCheckOptions>? configure = null) =>
        OrchestrationServices.Create(Database, before: s =>
        {
            s.AddLogging();
            s.AddHealthChecks().AddAgentOrchestration(configure);
        });

    private static Task<HealthReport> CheckAsync(IServiceProvider services) =>
        services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

    private static string Describe(HealthReport report) =>
        string.Join("; ", report.Entries.Select(e => $"{e.Key}: {e.Value.Status} {e.Value.Description}"));
}
