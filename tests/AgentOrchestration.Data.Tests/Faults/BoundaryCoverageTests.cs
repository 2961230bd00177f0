using System.Reflection;
using AgentOrchestration.Data.Faults;
using AgentOrchestration.Data.Migrations;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Faults;

/// <summary>
/// Every method of every public service, as registered, runs under the retry policy under its own name: the policy's
/// retries, give-ups and typed faults (and the span of each attempt) hang on that, and the wrappers are written by hand,
/// so a method forgotten, or passed straight to the service, or named after another, fails here.
/// </summary>
public sealed class BoundaryCoverageTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    /// <summary>
    /// Public interfaces the library registers that are not services called per operation: the migrator (a migration is
    /// not re-run by a retry policy) and the host's backlog risk strategy (an extension point the library calls).
    /// </summary>
    private static readonly Type[] NotServices = [typeof(IAgentOrchestrationMigrator), typeof(Data.Backlog.IBacklogRiskStrategy)];

    [Test]
    public async Task Every_method_of_every_public_service_runs_under_the_retry_policy_by_its_own_name()
    {
        await using (await MigratedContextAsync())
        {
        }

        var observer = new StartedObserver();
        var collection = new ServiceCollection();
        collection.AddSingleton<IRetryObserver>(observer);
        collection.AddDbContext<AgentOrchestrationDbContext>(options => Database.Throwaway.ConfigureContext(options));
        collection.AddAgentOrchestration(o => o.UseDbContext<AgentOrchestrationDbContext>().ConfigureRetries(r => r.MaxAttempts = 1));
        var services = PublicServices(collection);
        Assert.That(services.Select(s => s.Name), Is.SupersetOf(new[] { "IWorkClaimer", "IFileLockService", "IEventLog", "IOrchestrationDashboard" }));

        await using var provider = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        var missed = new List<string>();
        foreach (var service in services)
        {
            foreach (var method in service.GetMethods())
            {
                var name = $"{service.Name}.{method.Name}";
                await using var scope = provider.CreateAsyncScope();
                var instance = scope.ServiceProvider.GetRequiredService(service);
                observer.Operations.Clear();
                await CallAsync(instance, method);
                if (!observer.Operations.Contains(name))
                {
                    missed.Add($"{name} (the policy saw: {string.Join(", ", observer.Operations.DefaultIfEmpty("nothing"))})");
                }
            }
        }

        Assert.That(missed, Is.Empty, "methods that do not run under the retry policy by their own name");
    }

    /// <summary>The library's public interfaces as registered, but the non-services.</summary>
    private static List<Type> PublicServices(IServiceCollection collection) =>
        [.. collection.Select(d => d.ServiceType)
            .Where(t => t.IsInterface && t.IsPublic && t.Assembly == typeof(AgentOrchestrationDbContext).Assembly && !NotServices.Contains(t))
            .Distinct()];

    /// <summary>Calls <paramref name="method"/> with placeholder arguments; what it returns or refuses does not matter here, only that it ran under the policy.</summary>
    private static async Task CallAsync(object instance, MethodInfo method)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var args = method.GetParameters().Select(p => Placeholder(p.ParameterType, cancel.Token)).ToArray();
        try
        {
            switch (method.Invoke(instance, args))
            {
                case Task task:
                    await task;
                    break;
                case { } stream when stream.GetType().GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>)):
                    // Opening the stream is the call; reading it would wait for events.
                    break;
                default:
                    Assert.Fail($"{method.Name} returns {method.ReturnType.Name}: the policy wraps Task, Task<T> and IAsyncEnumerable<T> methods; add its case to ServiceBoundary.");
                    break;
            }
        }
        catch (TargetInvocationException)
        {
        }
#pragma warning disable CA1031 // Refusals of the placeholder arguments are expected; only whether the policy ran is asserted.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private static object? Placeholder(Type type, CancellationToken token) => type switch
    {
        _ when type == typeof(CancellationToken) => token,
        _ when type == typeof(Guid) => Guid.NewGuid(),
        _ when type == typeof(string) => "placeholder",
        _ when type == typeof(int) => 1,
        _ when type == typeof(long) => 0L,
        _ when type == typeof(TimeSpan) => TimeSpan.FromMinutes(1),
        _ when type.IsEnum => Enum.GetValues(type).GetValue(0),
        _ when type.IsValueType => Activator.CreateInstance(type),
        _ => null,
    };

    private sealed class StartedObserver : IRetryObserver
    {
        public List<string> Operations { get; } = [];

        public void Started(string operation) => Operations.Add(operation);

        public void Retrying(string operation, int attempt, TimeSpan delay, Exception fault)
        {
        }

        public void GaveUp(string operation, int attempts, bool mayHaveCommitted, Exception fault)
        {
        }

        public void Resolved(string operation, bool landed)
        {
        }
    }
}
