using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>The library as a host registers it (turnkey), on a test database, optionally with a fake clock.</summary>
public static class OrchestrationServices
{
    public static ServiceProvider Create(TestDatabase database, TimeProvider? clock = null, Action<IServiceCollection>? before = null)
    {
        var services = new ServiceCollection();
        if (clock is not null)
        {
            services.AddSingleton(clock);
        }

        before?.Invoke(services);

        services.AddAgentOrchestration(o =>
        {
            if (database.Provider == DatabaseProvider.Sqlite)
            {
                o.UseSqlite(database.ConnectionString);
            }
            else
            {
                o.UsePostgreSql(database.ConnectionString);
            }
        });
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
    }
}
