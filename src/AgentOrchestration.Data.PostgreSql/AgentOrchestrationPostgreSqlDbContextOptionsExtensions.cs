using System.Data.Common;
using AgentOrchestration.Data;
using Npgsql;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Configures context options for the library's own context on PostgreSQL.</summary>
public static class AgentOrchestrationPostgreSqlDbContextOptionsExtensions
{
    /// <summary>How many statements each physical connection keeps prepared when the connection string does not say.</summary>
    internal const int DefaultMaxAutoPrepare = 64;

    /// <summary>After how many executions a statement is prepared when the connection string does not say.</summary>
    internal const int DefaultAutoPrepareMinUsages = 2;

    /// <summary>
    /// Configures context options for the library's own context on PostgreSQL, with its shipped migrations. Statements
    /// are prepared automatically (<c>Max Auto Prepare=64</c>, <c>Auto Prepare Min Usages=2</c>) and pooled connections
    /// are not reset when they return to the pool (<c>No Reset On Close=true</c>), unless the connection string sets
    /// those keywords itself.
    /// </summary>
    /// <param name="options">The options builder of an <see cref="AgentOrchestrationDbContext"/>.</param>
    /// <param name="connectionString">The Npgsql connection string.</param>
    /// <param name="configure">Further Npgsql options; <see langword="null"/> keeps the defaults.</param>
    /// <returns>The same options builder, for chaining.</returns>
    public static DbContextOptionsBuilder UseAgentOrchestrationPostgreSql(this DbContextOptionsBuilder options, string connectionString, Action<NpgsqlDbContextOptionsBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return options.UseNpgsql(WithAutoPrepare(connectionString), npgsql =>
        {
            npgsql.MigrationsAssembly(typeof(AgentOrchestrationPostgreSqlDbContextOptionsExtensions).Assembly.GetName().Name);
            npgsql.MigrationsHistoryTable(AgentOrchestrationDbContext.MigrationsHistoryTable);
            configure?.Invoke(npgsql);
        });
    }

    /// <summary>
    /// The connection string with automatic preparation on, unless it chose its own: without it PostgreSQL parses and plans
    /// every statement EF Core sends on every call (the claim's large statement took longer to plan than to run). And
    /// without the reset on return to the pool, unless it chose: every library operation borrows a connection, and the
    /// reset (seven statements run before the next command) cost about as much as the claim itself. Nothing the library
    /// sends outlives its transaction (transaction-scoped locks and settings only; the event listener's LISTEN connection
    /// is not pooled), and the changed string gets a pool of its own, so no other user of the connection string sees it.
    /// </summary>
    internal static string WithAutoPrepare(string connectionString)
    {
        // Npgsql's own builder reports every known keyword as present, so what the user wrote is read from the plain parse.
        var written = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!written.ContainsKey("Max Auto Prepare") && !written.ContainsKey("MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = DefaultMaxAutoPrepare;
        }

        if (!written.ContainsKey("Auto Prepare Min Usages") && !written.ContainsKey("AutoPrepareMinUsages"))
        {
            builder.AutoPrepareMinUsages = DefaultAutoPrepareMinUsages;
        }

        if (!written.ContainsKey("No Reset On Close") && !written.ContainsKey("NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        return builder.ConnectionString;
    }
}
