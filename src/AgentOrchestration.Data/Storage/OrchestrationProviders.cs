using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace AgentOrchestration.Data.Storage;

/// <summary>
/// Finds the provider package for a context's EF Core provider, so embedded hosts that only call <c>UseDbContext</c>
/// get the right claim and lock strategies without registering anything (the way EF Core finds design-time services).
/// </summary>
internal static class OrchestrationProviders
{
    private static readonly Dictionary<string, string> PackageByEfProvider = new(StringComparer.Ordinal)
    {
        ["Microsoft.EntityFrameworkCore.Sqlite"] = "AgentOrchestration.Data.Sqlite",
        ["Npgsql.EntityFrameworkCore.PostgreSQL"] = "AgentOrchestration.Data.PostgreSql",
    };

    private static readonly ConcurrentDictionary<string, IOrchestrationProvider> Cache = new(StringComparer.Ordinal);

    /// <summary>By EF Core's provider instance (one per internal service provider): its name is read once, not per call.</summary>
    private static readonly ConditionalWeakTable<IDatabaseProvider, IOrchestrationProvider> ByEfProvider = [];

    public static IOrchestrationProvider For(DbContext context)
    {
        // What DatabaseFacade.ProviderName reads (the first provider), without its per-call cost: it reads the provider
        // assembly's name again each time, and every library call asks several times.
        var efProviders = context.GetService<IEnumerable<IDatabaseProvider>>();
        var efProvider = (efProviders is IReadOnlyList<IDatabaseProvider> list ? (list.Count > 0 ? list[0] : null) : efProviders.FirstOrDefault())
            ?? throw new InvalidOperationException("The context has no database provider configured.");
        if (!ByEfProvider.TryGetValue(efProvider, out var provider))
        {
            provider = Cache.GetOrAdd(efProvider.Name, Load);
            ByEfProvider.AddOrUpdate(efProvider, provider);
        }

        return provider;
    }

    /// <summary>
    /// The provider packages the application has (a model is built before any context of it can say its provider), so
    /// each can add what only its database's model has (<see cref="IOrchestrationProvider.ConfigureModel"/>).
    /// </summary>
    public static IReadOnlyList<IOrchestrationProvider> Installed() => InstalledProviders.Value;

    private static readonly Lazy<IReadOnlyList<IOrchestrationProvider>> InstalledProviders = new(() =>
    [
        .. PackageByEfProvider.Keys.Select(efProvider =>
        {
            try
            {
                return Cache.GetOrAdd(efProvider, Load);
            }
            catch (InvalidOperationException exception) when (exception.InnerException is FileNotFoundException)
            {
                return null;
            }
        }).OfType<IOrchestrationProvider>(),
    ]);

    private static IOrchestrationProvider Load(string efProvider)
    {
        if (!PackageByEfProvider.TryGetValue(efProvider, out var package))
        {
            throw new NotSupportedException(
                $"AgentOrchestration.Data does not support the EF Core provider '{efProvider}'. Supported: {string.Join(", ", PackageByEfProvider.Keys)}.");
        }

        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(package));
        }
        catch (FileNotFoundException exception)
        {
            throw new InvalidOperationException($"The context uses '{efProvider}': install the package '{package}'.", exception);
        }

        var attribute = assembly.GetCustomAttribute<OrchestrationProviderAttribute>()
            ?? throw new InvalidOperationException($"The assembly '{package}' does not declare its orchestration provider.");
        return (IOrchestrationProvider)Activator.CreateInstance(attribute.ProviderType, nonPublic: true)!;
    }
}
