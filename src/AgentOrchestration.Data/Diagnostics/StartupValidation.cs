using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Storage;
using AgentOrchestration.Data.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AgentOrchestration.Data.Diagnostics;

/// <summary>
/// The marker that <c>AddAgentOrchestration</c> registers with <c>ValidateOnStart</c>, so a generic host validates the
/// library's registration when it starts (<see cref="StartupValidator"/>) rather than at the first call.
/// </summary>
internal sealed class AgentOrchestrationStartup;

/// <summary>
/// Checks at host start-up what registration could not: every option the host registered is in range (one message per
/// option, naming it and the allowed range), and the chosen context resolves and uses a database the library supports,
/// with its provider package installed. All problems are reported together in one <see cref="OptionsValidationException"/>.
/// </summary>
internal sealed class StartupValidator(IServiceScopeFactory scopes, EventLogOptions eventLog, SessionReaperOptions reaper, Type contextType)
    : IValidateOptions<AgentOrchestrationStartup>
{
    public ValidateOptionsResult Validate(string? name, AgentOrchestrationStartup options)
    {
        var problems = new List<string>();
        problems.AddRange(eventLog.Problems());
        problems.AddRange(reaper.Problems());
        if (ContextProblem() is { } problem)
        {
            problems.Add(problem);
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private string? ContextProblem()
    {
        using var scope = scopes.CreateScope();
        OrchestrationContext context;
        try
        {
            context = scope.ServiceProvider.GetRequiredService<OrchestrationContext>();
        }
        catch (InvalidOperationException exception)
        {
            return $"AddAgentOrchestration uses the context '{contextType.Name}', which cannot be created ({exception.Message}). "
                + $"Register it with AddDbContext<{contextType.Name}>(o => o.UseSqlite(...)) or o.UseNpgsql(...), or use UseSqlite(connectionString) or UsePostgreSql(connectionString) on the builder.";
        }

        try
        {
            _ = OrchestrationProviders.For(context.Context);
            return null;
        }
        catch (Exception exception) when (exception is InvalidOperationException or NotSupportedException)
        {
            // EF Core's own message says what is missing ("No database provider has been configured..."); ours adds how
            // the library expects it to be set.
            return $"The context '{contextType.Name}' cannot be used by AgentOrchestration.Data: {exception.Message} "
                + "Use UseSqlite(connectionString) or UsePostgreSql(connectionString) on the AddAgentOrchestration builder, or configure UseSqlite/UseNpgsql in the context's AddDbContext options.";
        }
    }
}
