using AgentOrchestration.Data;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Configures context options for the library's own context on PostgreSQL.</summary>
public static class AgentOrchestrationPostgreSqlDbContextOptionsExtensions
{
    /// <summary>Configures context options for the library's own context on PostgreSQL, with its shipped migrations.</summary>
    /// <param name="options">The options builder of an <see cref="AgentOrchestrationDbContext"/>.</param>
    /// <param name="connectionString">The Npgsql connection string.</param>
    /// <param name="configure">Further Npgsql options; <see langword="null"/> keeps the defaults.</param>
    /// <returns>The same options builder, for chaining.</returns>
    public static DbContextOptionsBuilder UseAgentOrchestrationPostgreSql(this DbContextOptionsBuilder options, string connectionString, Action<NpgsqlDbContextOptionsBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return options.UseNpgsql(connectionString, npgsql =>
        {
            npgsql.MigrationsAssembly(typeof(AgentOrchestrationPostgreSqlDbContextOptionsExtensions).Assembly.GetName().Name);
            npgsql.MigrationsHistoryTable(AgentOrchestrationDbContext.MigrationsHistoryTable);
            configure?.Invoke(npgsql);
        });
    }
}
