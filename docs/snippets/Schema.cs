using AgentOrchestration.Data.Migrations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Docs.Snippets;

/// <summary>The snippets of docs/schema.md.</summary>
internal static class Schema
{
    public static async Task MigrateAsync(AsyncServiceScope scope)
    {
        #region migrator
        var migrator = scope.ServiceProvider.GetRequiredService<IAgentOrchestrationMigrator>();
        await migrator.MigrateAsync();                  // up to the latest
        await migrator.MigrateToAsync("KeyIndexes");    // up or down to a named step
        await migrator.RollbackAllAsync();              // down to zero: only the history table is left
        #endregion
    }

    public static void Embed(IServiceCollection services, string connectionString)
    {
        #region embed-registration
        services.AddDbContext<AppDbContext>(o => o.UseNpgsql(connectionString));
        services.AddAgentOrchestration(o => o.UseDbContext<AppDbContext>());
        #endregion
    }
}

#region embed-context
public sealed class AppDbContext(DbContextOptions<AppDbContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyAgentOrchestration(o => o.Schema = "agents"); // or o.TablePrefix = "ao_"
        // your own entities ...
    }
}
#endregion
