using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Sample.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Sample;

/// <summary>
/// The sample as a host application: its own context (the library's model embedded beside its own entity), registered
/// with <c>AddDbContext</c> and handed to <c>AddAgentOrchestration(o =&gt; o.UseDbContext&lt;T&gt;())</c>; its own migrations,
/// applied at start.
/// </summary>
internal sealed class SampleHost : IAsyncDisposable
{
    private readonly ServiceProvider services;

    private SampleHost(ServiceProvider services, string database)
    {
        this.services = services;
        Database = database;
    }

    /// <summary>Gets where the data lives, for the summary.</summary>
    public string Database { get; }

    public static async Task<SampleHost> StartAsync(SampleOptions options, CancellationToken cancellationToken)
    {
        var services = new ServiceCollection();
        // A crashed agent is noticed after 3 seconds of silence: the scenario runs in about a minute.
        services.AddSingleton(new SessionReaperOptions { Timeout = TimeSpan.FromSeconds(3) });
        string database;
        if (options.PostgreSql)
        {
            services.AddDbContext<PostgreSqlSampleDbContext>(o => o.UseNpgsql(options.Connection));
            services.AddScoped<SampleDbContext>(sp => sp.GetRequiredService<PostgreSqlSampleDbContext>());
            services.AddAgentOrchestration(o => o.UseDbContext<PostgreSqlSampleDbContext>());
            database = "PostgreSQL";
        }
        else
        {
            services.AddDbContext<SqliteSampleDbContext>(o => o.UseSqlite($"Data Source={options.SqlitePath}", s => s.UseCrashSafeMigrations()));
            services.AddScoped<SampleDbContext>(sp => sp.GetRequiredService<SqliteSampleDbContext>());
            services.AddAgentOrchestration(o => o.UseDbContext<SqliteSampleDbContext>());
            database = options.SqlitePath;
        }

        Telemetry.Add(services, options.Telemetry);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        Telemetry.Start(provider);
        await using (var scope = provider.CreateAsyncScope())
        {
            // The sample's own migrations (Data/Migrations), generated with dotnet ef like any host's.
            await scope.ServiceProvider.GetRequiredService<SampleDbContext>().Database.MigrateAsync(cancellationToken);
        }

        return new SampleHost(provider, database);
    }

    /// <summary>Runs <paramref name="use"/> with a service of a fresh scope, as each unit of work of a host does.</summary>
    public async Task<TResult> WithAsync<TService, TResult>(Func<TService, Task<TResult>> use)
        where TService : notnull
    {
        await using var scope = services.CreateAsyncScope();
        return await use(scope.ServiceProvider.GetRequiredService<TService>());
    }

    /// <summary>Runs <paramref name="use"/> with a service of a fresh scope, for calls that return nothing.</summary>
    public async Task WithAsync<TService>(Func<TService, Task> use)
        where TService : notnull
    {
        await using var scope = services.CreateAsyncScope();
        await use(scope.ServiceProvider.GetRequiredService<TService>());
    }

    /// <summary>Creates a scope for a longer unit of work (an agent's loop, a watch).</summary>
    public AsyncServiceScope CreateScope() => services.CreateAsyncScope();

    public ValueTask DisposeAsync() => services.DisposeAsync();
}
