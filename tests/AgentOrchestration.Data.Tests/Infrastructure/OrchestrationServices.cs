using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>The library as a host registers it (turnkey), on a test database, optionally with a fake clock and more configuration.</summary>
public static class OrchestrationServices
{
    /// <summary>
    /// For fixtures that test coordination (claims, delegation, sessions) rather than QA: completion is not gated. The
    /// default policy and the gate itself are tested in Qa/.
    /// </summary>
    public static readonly Action<AgentOrchestrationBuilder> WithoutQaGate = o => o.ConfigureQa(p => p.RequireNone());

    public static ServiceProvider Create(
        TestDatabase database, TimeProvider? clock = null, Action<AgentOrchestrationBuilder>? configure = null, Action<IServiceCollection>? before = null)
    {
        var services = new ServiceCollection();
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

            if (clock is not null)
            {
                // Tests drive time by hand: the explicit clock decides every expiry, on PostgreSQL too.
                o.UseClock(clock);
            }

            configure?.Invoke(o);
        });
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
    }
}
