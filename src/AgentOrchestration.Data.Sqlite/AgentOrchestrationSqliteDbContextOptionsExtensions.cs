using AgentOrchestration.Data;
using AgentOrchestration.Data.Sqlite.Connections;
using AgentOrchestration.Data.Sqlite.Migrating;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Configures SQLite context options: the library's own context, and a host's own context that embeds the library.</summary>
public static class AgentOrchestrationSqliteDbContextOptionsExtensions
{
    /// <summary>
    /// Configures context options for the library's own context on SQLite, with its shipped migrations. Every connection
    /// it opens gets SQLite's busy handler, write-ahead logging and <c>synchronous=NORMAL</c> (see
    /// <see cref="SqliteSynchronous"/>; <see cref="UseSynchronous"/> in <paramref name="configure"/> chooses <c>FULL</c>).
    /// </summary>
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
        if (!HasConnectionSetup(options))
        {
            options.AddInterceptors(new SqliteConnectionInterceptor(SqliteSynchronous.Normal));
        }

        return ReplaceMigrationServices(options);
    }

    /// <summary>
    /// Makes a host's own SQLite context migrate as safely as the library's own context: a migration killed with its
    /// process neither blocks every later migration nor stays half-applied. EF Core's migration lock is a row that a
    /// killed process leaves behind (every later <c>MigrateAsync</c> then waits for ever); here the migrator also holds an
    /// operating-system lock on <c>&lt;database&gt;-migrations</c>, which dies with its process, and removes a row it finds
    /// left. EF Core applies a migration that rebuilds a table in several transactions; here each migration is applied in
    /// one. Scripts (<c>dotnet ef migrations script</c>) are unchanged.
    /// </summary>
    /// <param name="sqlite">The SQLite options of a host's context, as in <c>options.UseSqlite(cs, s =&gt; s.UseCrashSafeMigrations())</c>.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static SqliteDbContextOptionsBuilder UseCrashSafeMigrations(this SqliteDbContextOptionsBuilder sqlite)
    {
        ArgumentNullException.ThrowIfNull(sqlite);
        ReplaceMigrationServices(((IRelationalDbContextOptionsBuilderInfrastructure)sqlite).OptionsBuilder);
        return sqlite;
    }

    /// <summary>
    /// Sets how hard SQLite syncs each commit on every connection of this context (with the busy handler and write-ahead
    /// logging the library needs): <see cref="SqliteSynchronous.Normal"/> unless chosen otherwise. Also for a host's own
    /// context: <c>options.UseSqlite(cs, s =&gt; s.UseSynchronous(SqliteSynchronous.Full))</c>.
    /// </summary>
    /// <param name="sqlite">The SQLite options of the context.</param>
    /// <param name="synchronous">The durability of a commit.</param>
    /// <returns>The same builder, for chaining.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="synchronous"/> is not a defined value.</exception>
    public static SqliteDbContextOptionsBuilder UseSynchronous(this SqliteDbContextOptionsBuilder sqlite, SqliteSynchronous synchronous)
    {
        ArgumentNullException.ThrowIfNull(sqlite);
        if (!Enum.IsDefined(synchronous))
        {
            throw new ArgumentOutOfRangeException(nameof(synchronous), synchronous, $"'{synchronous}' is not a SQLite synchronous mode. Allowed: {string.Join(", ", Enum.GetNames<SqliteSynchronous>())}.");
        }

        var options = ((IRelationalDbContextOptionsBuilderInfrastructure)sqlite).OptionsBuilder;
        if (HasConnectionSetup(options))
        {
            throw new InvalidOperationException("The SQLite synchronous mode is already chosen for this context: call UseSynchronous once.");
        }

        options.AddInterceptors(new SqliteConnectionInterceptor(synchronous));
        return sqlite;
    }

    // EF's SQLite migration lock outlives a killed migrating process (and then blocks every later migration for ever),
    // and its table rebuilds split a migration into several transactions (a kill between them half-applies it).
    private static DbContextOptionsBuilder ReplaceMigrationServices(DbContextOptionsBuilder options) => options
        .ReplaceService<IHistoryRepository, OrchestrationSqliteHistoryRepository>()
        .ReplaceService<IMigrationsSqlGenerator, OrchestrationSqliteMigrationsSqlGenerator>();

    private static bool HasConnectionSetup(DbContextOptionsBuilder options) =>
        options.Options.FindExtension<CoreOptionsExtension>()?.Interceptors?.OfType<SqliteConnectionInterceptor>().Any() == true;
}
