using AgentOrchestration.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chooses SQLite for AgentOrchestration.Data.</summary>
public static class AgentOrchestrationSqliteBuilderExtensions
{
    /// <summary>
    /// Uses the library's own <see cref="AgentOrchestrationDbContext"/> on SQLite, with the migrations shipped in this package
    /// and their own history table (<see cref="AgentOrchestrationDbContext.MigrationsHistoryTable"/>).
    /// </summary>
    /// <param name="builder">The builder from <c>AddAgentOrchestration</c>.</param>
    /// <param name="connectionString">The SQLite connection string, such as <c>Data Source=agents.db</c>.</param>
    /// <param name="configure">Further SQLite options; <see langword="null"/> keeps the defaults.</param>
    /// <returns>The same builder, for chaining.</returns>
    /// <exception cref="ArgumentException"><paramref name="connectionString"/> is <see langword="null"/>, empty or white space.</exception>
    public static AgentOrchestrationBuilder UseSqlite(this AgentOrchestrationBuilder builder, string connectionString, Action<SqliteDbContextOptionsBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        // Pooled: every operation resolves a scope, and a pooled context skips building the context and its services each time.
        builder.Services.AddDbContextPool<AgentOrchestrationDbContext>(options => options.UseAgentOrchestrationSqlite(connectionString, configure));
        return builder.UseDbContext<AgentOrchestrationDbContext>();
    }
}
