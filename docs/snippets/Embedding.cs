using AgentOrchestration.Data.Delegation;
using AgentOrchestration.Data.Migrations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Docs.Snippets;

/// <summary>The snippets of docs/embedding.md.</summary>
internal static class Embedding
{
    public static void Register(IServiceCollection services, bool usePostgreSql, string connectionString)
    {
        #region embed-choose-provider
        if (usePostgreSql)
        {
            services.AddDbContext<PostgreSqlShopDbContext>(o => o.UseNpgsql(connectionString));
            services.AddScoped<ShopDbContext>(sp => sp.GetRequiredService<PostgreSqlShopDbContext>());
            services.AddAgentOrchestration(o => o.UseDbContext<PostgreSqlShopDbContext>());
        }
        else
        {
            services.AddDbContext<SqliteShopDbContext>(o => o.UseSqlite(connectionString, s => s.UseCrashSafeMigrations()));
            services.AddScoped<ShopDbContext>(sp => sp.GetRequiredService<SqliteShopDbContext>());
            services.AddAgentOrchestration(o => o.UseDbContext<SqliteShopDbContext>());
        }
        #endregion
    }

    public static async Task MigrateAsync(AsyncServiceScope scope)
    {
        #region embed-migrate
        await scope.ServiceProvider.GetRequiredService<ShopDbContext>().Database.MigrateAsync();
        // the same: IAgentOrchestrationMigrator works on the context chosen with UseDbContext, so on your migrations
        await scope.ServiceProvider.GetRequiredService<IAgentOrchestrationMigrator>().MigrateAsync();
        #endregion
    }

    public static async Task TransactionAsync(AsyncServiceScope scope, Guid taskId, Guid agentId)
    {
        #region embed-transaction
        var db = scope.ServiceProvider.GetRequiredService<ShopDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync();

        db.Orders.Add(new Order { Reference = "A-1001" });
        await db.SaveChangesAsync();                     // save your own changes before calling the library

        var delegation = scope.ServiceProvider.GetRequiredService<IDelegationService>();
        await delegation.AssignAsync(taskId, Assignee.Agent(agentId));

        await transaction.CommitAsync();                 // the order, the assignment and its event commit together, or none does
        #endregion
    }
}

#region embed-provider-contexts
// Your context: your entities beside the library's tables.
public abstract class ShopDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<Order> Orders => Set<Order>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyAgentOrchestration();
        modelBuilder.Entity<Order>().ToTable("orders");
    }
}

// One subclass per database provider, each with its own migrations.
public sealed class SqliteShopDbContext(DbContextOptions<SqliteShopDbContext> options) : ShopDbContext(options);

public sealed class PostgreSqlShopDbContext(DbContextOptions<PostgreSqlShopDbContext> options) : ShopDbContext(options);
#endregion

#region embed-design-time
// Lets `dotnet ef` create each context without starting your application.
public sealed class SqliteShopDbContextFactory : IDesignTimeDbContextFactory<SqliteShopDbContext>
{
    public SqliteShopDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteShopDbContext>().UseSqlite("Data Source=shop.db", s => s.UseCrashSafeMigrations()).Options);
}

public sealed class PostgreSqlShopDbContextFactory : IDesignTimeDbContextFactory<PostgreSqlShopDbContext>
{
    public PostgreSqlShopDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgreSqlShopDbContext>().UseNpgsql("Host=localhost;Database=shop;Username=app").Options);
}
#endregion

/// <summary>A host's own entity.</summary>
public sealed class Order
{
    /// <summary>Gets or sets the key.</summary>
    public int Id { get; set; }

    /// <summary>Gets or sets the order's reference.</summary>
    public string Reference { get; set; } = "";
}
