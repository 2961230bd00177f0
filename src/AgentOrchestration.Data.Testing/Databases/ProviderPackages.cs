using System.Data.Common;
using System.Reflection;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Testing;

/// <summary>
/// Calls the provider packages' public registration methods without referencing them, so a SQLite-only host's tests never
/// pull in Npgsql and the other way round (the core finds its provider strategies the same way).
/// </summary>
internal static class ProviderPackages
{
    public static void UseTurnkey(TestDatabaseProvider provider, AgentOrchestrationBuilder builder, string connectionString)
    {
        var (package, type, method) = provider == TestDatabaseProvider.Sqlite
            ? ("AgentOrchestration.Data.Sqlite", "Microsoft.Extensions.DependencyInjection.AgentOrchestrationSqliteBuilderExtensions", "UseSqlite")
            : ("AgentOrchestration.Data.PostgreSql", "Microsoft.Extensions.DependencyInjection.AgentOrchestrationPostgreSqlBuilderExtensions", "UsePostgreSql");
        Invoke(package, type, method, builder, connectionString);
    }

    public static void UseContext(TestDatabaseProvider provider, DbContextOptionsBuilder options, string connectionString)
    {
        var (package, type, method) = provider == TestDatabaseProvider.Sqlite
            ? ("AgentOrchestration.Data.Sqlite", "Microsoft.EntityFrameworkCore.AgentOrchestrationSqliteDbContextOptionsExtensions", "UseAgentOrchestrationSqlite")
            : ("AgentOrchestration.Data.PostgreSql", "Microsoft.EntityFrameworkCore.AgentOrchestrationPostgreSqlDbContextOptionsExtensions", "UseAgentOrchestrationPostgreSql");
        Invoke(package, type, method, options, connectionString);
    }

    /// <summary>Closes the idle pooled connections of the provider's ADO.NET driver, so the file can be deleted or the database dropped.</summary>
    public static void ClearAllPools(DbConnection connection) =>
        connection.GetType().GetMethod("ClearAllPools", BindingFlags.Public | BindingFlags.Static, Type.EmptyTypes)?.Invoke(null, null);

    private static void Invoke(string package, string typeName, string methodName, object target, string connectionString)
    {
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(package));
        }
        catch (FileNotFoundException exception)
        {
            throw new InvalidOperationException($"A test database of this provider needs the package '{package}': add a reference to it in the test project.", exception);
        }

        var method = assembly.GetType(typeName)?.GetMethod(methodName, BindingFlags.Public | BindingFlags.Static)
            ?? throw new InvalidOperationException($"The package '{package}' has no public {typeName}.{methodName}; use matching versions of the AgentOrchestration.Data packages.");
        try
        {
            method.Invoke(null, [target, connectionString, null]);
        }
        catch (TargetInvocationException exception) when (exception.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(exception.InnerException);
        }
    }
}
