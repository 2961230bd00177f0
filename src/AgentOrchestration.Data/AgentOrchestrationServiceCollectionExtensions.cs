using AgentOrchestration.Data;
using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Backlog;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Dashboards;
using AgentOrchestration.Data.Delegation;
using AgentOrchestration.Data.Diagnostics;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Faults;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Migrations;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Sprints;
using AgentOrchestration.Data.Storage;
using AgentOrchestration.Data.Work;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers AgentOrchestration.Data in a service collection.</summary>
public static class AgentOrchestrationServiceCollectionExtensions
{
    /// <summary>
    /// Registers the library's services. Choose the database inside <paramref name="configure"/>:
    /// <c>o.UseSqlite(connectionString)</c> or <c>o.UsePostgreSql(connectionString)</c> for the library's own context and shipped migrations,
    /// or <c>o.UseDbContext&lt;TContext&gt;()</c> for a host context that calls <c>ApplyAgentOrchestration</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Chooses the context and database.</param>
    /// <returns>The same service collection, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="configure"/> chose no context.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The <see cref="RetryOptions"/> set with <c>ConfigureRetries</c> are outside their ranges.</exception>
    public static IServiceCollection AddAgentOrchestration(this IServiceCollection services, Action<AgentOrchestrationBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        var builder = new AgentOrchestrationBuilder(services);
        configure(builder);
        if (builder.ContextType is null)
        {
            throw new InvalidOperationException(
                "AddAgentOrchestration needs a database: call UseSqlite(connectionString), UsePostgreSql(connectionString) or UseDbContext<TContext>() on the builder.");
        }

        services.TryAddSingleton(TimeProvider.System);
        var explicitClock = builder.Clock;
        services.TryAddSingleton(sp => new OrchestrationClock(sp.GetRequiredService<TimeProvider>(), explicitClock));
        var retries = builder.Retries ?? new RetryOptions();
        retries.Validate();
        services.TryAddSingleton(retries);
        services.TryAddSingleton<FaultPolicy>();
        services.TryAddScoped<IAgentOrchestrationMigrator, AgentOrchestrationMigrator>();
        services.TryAddSingleton<OrchestrationTelemetry>();
        services.TryAddScoped<WorkClaimer>();
        services.TryAddScoped<AgentRegistry>();
        services.TryAddScoped<WorkItemService>();
        services.TryAddScoped<SprintService>();
        services.TryAddScoped<BacklogService>();
        services.TryAddScoped<WriteTransactions>();
        services.TryAddScoped<DelegationService>();
        services.TryAddScoped<ILeaseDelegation>(sp => sp.GetRequiredService<DelegationService>());
        services.TryAddScoped<FileLockService>();
        services.TryAddScoped<SessionService>();
        services.TryAddScoped<SessionReaper>();
        services.TryAddScoped<QaService>();
        services.TryAddScoped<EventLog>();
        services.TryAddScoped<OrchestrationDashboard>();
        services.TryAddSingleton<IBacklogRiskStrategy, DefaultBacklogRiskStrategy>();
        services.TryAddSingleton(new SessionReaperOptions());
        services.TryAddSingleton(new QaPolicy());
        services.TryAddSingleton(new EventLogOptions());

        // Each public service as one wrapper around the service that does the work: every call runs under the retry
        // policy (faults of the connection or server are retried where safe and reach callers only as
        // AgentOrchestrationTransientException), each attempt with its span, metrics and logs.
        services.TryAddScoped<IWorkClaimer, InstrumentedWorkClaimer>();
        services.TryAddScoped<IAgentRegistry, InstrumentedAgentRegistry>();
        services.TryAddScoped<IWorkItemService, InstrumentedWorkItemService>();
        services.TryAddScoped<ISprintService, InstrumentedSprintService>();
        services.TryAddScoped<IBacklogService, InstrumentedBacklogService>();
        services.TryAddScoped<IDelegationService, InstrumentedDelegationService>();
        services.TryAddScoped<IFileLockService, InstrumentedFileLockService>();
        services.TryAddScoped<ISessionService, InstrumentedSessionService>();
        services.TryAddScoped<ISessionReaper, InstrumentedSessionReaper>();
        services.TryAddScoped<IQaService, InstrumentedQaService>();
        services.TryAddScoped<IEventLog, InstrumentedEventLog>();
        services.TryAddScoped<IOrchestrationDashboard, InstrumentedDashboard>();

        // A generic host checks the options and the context when it starts (ValidateOnStart), not at the first call.
        var contextType = builder.ContextType;
        services.AddOptions<AgentOrchestrationStartup>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AgentOrchestrationStartup>, StartupValidator>(sp => new StartupValidator(
            sp.GetRequiredService<IServiceScopeFactory>(), sp.GetRequiredService<EventLogOptions>(), sp.GetRequiredService<SessionReaperOptions>(), contextType)));
        return services;
    }
}
