using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentOrchestration.Data;

/// <summary>Configures AgentOrchestration.Data inside <c>AddAgentOrchestration</c>: which context and database it uses.</summary>
public sealed class AgentOrchestrationBuilder
{
    internal AgentOrchestrationBuilder(IServiceCollection services) => Services = services;

    /// <summary>Gets the service collection being configured.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Gets the context type the library works through, once chosen.</summary>
    public Type? ContextType { get; private set; }

    /// <summary>The QA policy <see cref="ConfigureQa"/> configures, once it was called.</summary>
    private QaPolicy? qaPolicy;

    /// <summary>
    /// Configures which QA types a task needs before it can complete, per oversight level of its implementing session (see
    /// <see cref="QaPolicy"/> for the defaults). Calls add up; the policy replaces any <see cref="QaPolicy"/> registered before.
    /// </summary>
    /// <param name="configure">Changes the policy, for example <c>p =&gt; p.Require(OversightLevel.Standard, QaType.CodeReview)</c>.</param>
    /// <returns>The same builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="configure"/> is <see langword="null"/>.</exception>
    public AgentOrchestrationBuilder ConfigureQa(Action<QaPolicy> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        if (qaPolicy is null)
        {
            qaPolicy = new QaPolicy();
            Services.RemoveAll<QaPolicy>();
            Services.AddSingleton(qaPolicy);
        }

        configure(qaPolicy);
        return this;
    }

    /// <summary>Gets the clock set with <see cref="UseClock"/>, if any.</summary>
    internal TimeProvider? Clock { get; private set; }

    /// <summary>
    /// Makes <paramref name="clock"/> the one clock of the library, for tests (a fake clock) and single-machine hosts: every
    /// expiry is then decided and stored by it (lease expiry, file lock TTLs, heartbeat silence, the reaper and its timer),
    /// and every timestamp is taken from it. Without it, PostgreSQL decides every expiry by the database server's clock,
    /// so machines whose clocks differ agree on what is live; SQLite by this machine's registered
    /// <see cref="TimeProvider"/>. Do not set it on several machines sharing a PostgreSQL database unless their
    /// clocks are kept together: each would then judge leases, locks and sessions by its own.
    /// </summary>
    /// <param name="clock">The clock, such as a <c>FakeTimeProvider</c> in tests.</param>
    /// <returns>The same builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="clock"/> is <see langword="null"/>.</exception>
    public AgentOrchestrationBuilder UseClock(TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        Clock = clock;
        return this;
    }

    /// <summary>
    /// Makes the library work through a host's own context (embedded mode). The context must call
    /// <c>modelBuilder.ApplyAgentOrchestration()</c> and be registered with <c>AddDbContext</c>; the host owns its migrations.
    /// </summary>
    /// <typeparam name="TContext">The host's context type.</typeparam>
    /// <returns>The same builder, for chaining.</returns>
    /// <exception cref="InvalidOperationException">A different context was already chosen.</exception>
    public AgentOrchestrationBuilder UseDbContext<TContext>()
        where TContext : DbContext
    {
        if (ContextType is not null && ContextType != typeof(TContext))
        {
            throw new InvalidOperationException(
                $"AgentOrchestration.Data already uses the context '{ContextType.Name}'; it cannot also use '{typeof(TContext).Name}'. Choose one of UseSqlite, UsePostgreSql or UseDbContext<TContext>().");
        }

        ContextType = typeof(TContext);
        Services.TryAddScoped(sp => new OrchestrationContext(sp.GetRequiredService<TContext>()));
        return this;
    }
}
