using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>The library as a host registers it (turnkey), on a test database, optionally with a fake clock and more configuration: the Testing package's <see cref="Data.Testing.OrchestrationTestDatabase.CreateServices"/>.</summary>
public static class OrchestrationServices
{
    /// <summary>
    /// For fixtures that test coordination (claims, delegation, sessions) rather than QA: completion is not gated. The
    /// default policy and the gate itself are tested in Qa/.
    /// </summary>
    public static readonly Action<AgentOrchestrationBuilder> WithoutQaGate = o => o.ConfigureQa(p => p.RequireNone());

    public static ServiceProvider Create(
        TestDatabase database, TimeProvider? clock = null, Action<AgentOrchestrationBuilder>? configure = null, Action<IServiceCollection>? before = null) =>
        database.Throwaway.CreateServices(
            before,
            o =>
            {
                if (clock is not null)
                {
                    // Tests drive time by hand: the explicit clock decides every expiry, on PostgreSQL too.
                    o.UseClock(clock);
                }

                configure?.Invoke(o);
            });
}
