using AgentOrchestration.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chooses PostgreSQL for AgentOrchestration.Data.</summary>
public static class AgentOrchestrationPostgreSqlBuilderExtensions
{
    /// <summary>
    /// Uses the library's own <see cref="AgentOrchestrationDbContext"/> on PostgreSQL, with the migrations shipped in this package
    /// and their own history table (<see cref="AgentOrchestrationDbContext.MigrationsHistoryTable"/>).
    /// </summary>
    /// <param name="builder">The builder from <c>AddAgentOrchestration</c>.</param>
    /// <param name="connectionString">The Npgsql connection string, such as <c>Host=localhost;Database=agents;Username=app</c>.</param>
    /// <param name="configure">Further Npgsql options; <see langword="null"/> keeps the defaults.</param>
    /// <returns>The same builder, for chaining.</returns>
    /// <exception cref="ArgumentException"><paramref name="connectionString"/> is <see langword="null"/>, empty or white space.</exception>
    public static AgentOrchestrationBuilder UsePostgreSql(this AgentOrchestrationBuilder builder, string connectionString, Action<NpgsqlDbContextOptionsBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        // Pooled: every operation resolves a scope, and a pooled context skips building the context and its services each time.
        builder.Services.AddDbContextPool<AgentOrchestrationDbContext>(options => options.UseAgentOrchestrationPostgreSql(connectionString, configure));
        return builder.UseDbContext<AgentOrchestrationDbContext>();
    }
}
