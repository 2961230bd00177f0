using AgentOrchestration.Data;
using AgentOrchestration.Data.Sqlite.Internal;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Configures context options for the library's own context on SQLite.</summary>
public static class AgentOrchestrationSqliteDbContextOptionsExtensions
{
    /// <summary>Configures context options for the library's own context on SQLite, with its shipped migrations.</summary>
    /// <param name="options">The options builder of an <see cref="AgentOrchestrationDbContext"/>.</param>
    /// <param name="connectionString">The SQLite connection string.</param>
    /// <param name="configure">Further SQLite options; <see langword="null"/> keeps the defaults.</param>
    /// <returns>The same options builder, for chaining.</returns>
    public static DbContextOptionsBuilder UseAgentOrchestrationSqlite(this DbContextOptionsBuilder options, string connectionString, Action<SqliteDbContextOptionsBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        options.UseSqlite(connectionString, sqlite =>
        {
            sqlite.MigrationsAssembly(typeof(AgentOrchestrationSqliteDbContextOptionsExtensions).Assembly.GetName().Name);
            sqlite.MigrationsHistoryTable(AgentOrchestrationDbContext.MigrationsHistoryTable);
            configure?.Invoke(sqlite);
        });

        // EF's SQLite migration lock outlives a killed migrating process (and then blocks every later migration for ever),
        // and its table rebuilds split a migration into several transactions (a kill between them half-applies it).
        return options
            .ReplaceService<IHistoryRepository, OrchestrationSqliteHistoryRepository>()
            .ReplaceService<IMigrationsSqlGenerator, OrchestrationSqliteMigrationsSqlGenerator>();
    }
}
