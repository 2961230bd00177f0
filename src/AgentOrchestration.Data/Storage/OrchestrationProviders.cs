using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.EntityFrameworkCore;

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

    public static IOrchestrationProvider For(DbContext context)
    {
        var efProvider = context.Database.ProviderName
            ?? throw new InvalidOperationException("The context has no database provider configured.");
        return Cache.GetOrAdd(efProvider, Load);
    }

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
