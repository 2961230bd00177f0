using AgentOrchestration.Data.Dashboards;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AgentOrchestration.Data.Tests.Dashboards;

/// <summary>
/// A migrated database holding <see cref="DashboardSeed"/>, the library's services on a fake clock, and a log of every
/// command the library's context sends (the services are registered the embedded way so the log can be attached).
/// </summary>
public abstract class DashboardFixture(DatabaseProvider provider) : ProviderFixture(provider)
{
    protected FakeTimeProvider Clock { get; private set; } = null!;

    protected CommandLog Log { get; private set; } = null!;

    protected ConnectionLog Connections { get; private set; } = null!;

    protected ServiceProvider Services { get; private set; } = null!;

    protected DashboardSeed Seed { get; private set; } = null!;

    protected DateTimeOffset Now => Clock.GetUtcNow();

    protected override bool StartsMigrated => true;

    [SetUp]
    public async Task SeedAsync()
    {
        Clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        Log = new CommandLog();
        Connections = new ConnectionLog();
        await using (var context = await MigratedContextAsync())
        {
        }

        Seed = await DashboardSeed.CreateAsync(CreateContext, Now);
        Services = BuildServices();
        Log.Clear();
    }

    [TearDown]
    public async Task DisposeServicesAsync()
    {
        if (Services is not null)
        {
            await Services.DisposeAsync();
        }
    }

    protected ServiceProvider BuildServices()
    {
        var services = new ServiceCollection();
        services.AddDbContext<AgentOrchestrationDbContext>(options =>
        {
            if (Database.Provider == DatabaseProvider.Sqlite)
            {
                options.UseAgentOrchestrationSqlite(Database.ConnectionString);
            }
            else
            {
                options.UseAgentOrchestrationPostgreSql(Database.ConnectionString);
            }

            options.AddInterceptors(Log, Connections);
        });
        services.AddAgentOrchestration(o => o.UseDbContext<AgentOrchestrationDbContext>().UseClock(Clock));
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
    }

    /// <summary>Runs one dashboard call in its own scope, and returns its result with the commands it sent.</summary>
    protected async Task<(T Result, IReadOnlyList<string> Commands)> QueryAsync<T>(Func<IOrchestrationDashboard, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        var dashboard = scope.ServiceProvider.GetRequiredService<IOrchestrationDashboard>();
        Log.Clear();
        Connections.Clear();
        var result = await query(dashboard);
        var commands = Log.Commands;
        Log.Clear();
        return (result, commands);
    }

    /// <summary>Runs one call that must send exactly one command (one round trip), and returns its result.</summary>
    protected async Task<T> OneCommandAsync<T>(Func<IOrchestrationDashboard, Task<T>> query)
    {
        var (result, commands) = await QueryAsync(query);
        Assert.That(commands, Has.Count.EqualTo(1), () => "commands sent:\n" + string.Join("\n---\n", commands));
        TestContext.Out.WriteLine(commands[0]);
        return result;
    }
}
