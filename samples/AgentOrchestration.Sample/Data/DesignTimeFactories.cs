using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace AgentOrchestration.Sample.Data;

/// <summary>Lets <c>dotnet ef migrations add X --context SqliteSampleDbContext</c> build the model without running the sample.</summary>
internal sealed class SqliteSampleDesignTimeFactory : IDesignTimeDbContextFactory<SqliteSampleDbContext>
{
    public SqliteSampleDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteSampleDbContext>().UseSqlite("Data Source=design-time.db", s => s.UseCrashSafeMigrations()).Options);
}

/// <summary>Lets <c>dotnet ef migrations add X --context PostgreSqlSampleDbContext</c> build the model; it never connects.</summary>
internal sealed class PostgreSqlSampleDesignTimeFactory : IDesignTimeDbContextFactory<PostgreSqlSampleDbContext>
{
    public PostgreSqlSampleDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgreSqlSampleDbContext>().UseNpgsql("Host=localhost;Database=design_time").Options);
}
