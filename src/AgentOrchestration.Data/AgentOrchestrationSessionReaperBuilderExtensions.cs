using AgentOrchestration.Data;
using AgentOrchestration.Data.Sessions;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Opts in to the background session reaper.</summary>
public static class AgentOrchestrationSessionReaperBuilderExtensions
{
    /// <summary>
    /// Runs the session reaper in the background of the host (an <see cref="IHostedService"/>): every
    /// <see cref="SessionReaperOptions.Interval"/> it reaps sessions silent for longer than <see cref="SessionReaperOptions.Timeout"/>,
    /// each run in a new DI scope. The options also become the defaults of <see cref="ISessionReaper"/>. Several hosts may
    /// run it against one database at once.
    /// </summary>
    /// <param name="builder">The builder of <c>AddAgentOrchestration</c>.</param>
    /// <param name="configure">Sets the timeout, interval and error callback; <see langword="null"/> keeps the defaults.</param>
    /// <returns>The same builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The timeout or interval is not positive.</exception>
    public static AgentOrchestrationBuilder AddSessionReaper(this AgentOrchestrationBuilder builder, Action<SessionReaperOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new SessionReaperOptions();
        configure?.Invoke(options);
        options.Validate();
        builder.Services.RemoveAll<SessionReaperOptions>();
        builder.Services.AddSingleton(options);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SessionReaperService>());
        return builder;
    }
}
