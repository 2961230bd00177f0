using AgentOrchestration.Data.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the library's health checks to a host's <c>AddHealthChecks()</c>.</summary>
public static class AgentOrchestrationHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds three checks of the database <c>AddAgentOrchestration</c> uses: <c>agent_orchestration.database</c> (it
    /// answers a query), <c>agent_orchestration.migrations</c> (no migration is pending) and
    /// <c>agent_orchestration.event_feed</c> (PostgreSQL: no transaction has held the live event feed back for longer
    /// than <see cref="AgentOrchestrationHealthCheckOptions.EventFeedStallThreshold"/>; always healthy on SQLite).
    /// Each runs in a DI scope of its own, so it uses the same context as the library's services.
    /// </summary>
    /// <param name="builder">The host's health checks builder.</param>
    /// <param name="configure">Changes the options; <see langword="null"/> keeps the defaults.</param>
    /// <param name="failureStatus">The status a failing check reports; <see cref="HealthStatus.Unhealthy"/> by default.</param>
    /// <param name="tags">Tags of the three checks, to filter them in health endpoints.</param>
    /// <returns>The same builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the message names it and the range).</exception>
    public static IHealthChecksBuilder AddAgentOrchestration(
        this IHealthChecksBuilder builder, Action<AgentOrchestrationHealthCheckOptions>? configure = null, HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new AgentOrchestrationHealthCheckOptions();
        configure?.Invoke(options);
        options.Validate();
        var tagList = tags?.ToArray() ?? [];
        builder.Services.TryAddSingleton<DatabaseHealthCheck>();
        builder.Services.TryAddSingleton<MigrationsHealthCheck>();
        builder.Add(new HealthCheckRegistration(options.NamePrefix + ".database", sp => sp.GetRequiredService<DatabaseHealthCheck>(), failureStatus, tagList));
        builder.Add(new HealthCheckRegistration(options.NamePrefix + ".migrations", sp => sp.GetRequiredService<MigrationsHealthCheck>(), failureStatus, tagList));
        builder.Add(new HealthCheckRegistration(
            options.NamePrefix + ".event_feed", sp => new EventFeedHealthCheck(sp.GetRequiredService<IServiceScopeFactory>(), options), failureStatus, tagList));
        return builder;
    }
}
