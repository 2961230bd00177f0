using AgentOrchestration.Data.Migrations;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Docs.Snippets;

/// <summary>The snippets of the three PACKAGE.md files.</summary>
internal static class Packages
{
    public static async Task CoreAsync(IServiceCollection services, AsyncServiceScope scope)
    {
        #region package-core
        services.AddAgentOrchestration(o => o.UseSqlite("Data Source=agents.db"));
        // then, once at start-up:
        await scope.ServiceProvider.GetRequiredService<IAgentOrchestrationMigrator>().MigrateAsync();
        #endregion
    }

    public static void Sqlite(IServiceCollection services)
    {
        #region package-sqlite
        services.AddAgentOrchestration(o => o.UseSqlite("Data Source=agents.db"));
        #endregion
    }

    public static void PostgreSql(IServiceCollection services)
    {
        #region package-postgresql
        services.AddAgentOrchestration(o => o.UsePostgreSql("Host=db;Database=agents;Username=app;Password=..."));
        #endregion
    }
}
