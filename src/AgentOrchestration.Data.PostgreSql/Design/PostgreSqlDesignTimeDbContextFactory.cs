using AgentOrchestration.Data.Modeling;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace AgentOrchestration.Data.PostgreSql.Design;

/// <summary>Creates the library's context for <c>dotnet ef</c> when it authors the PostgreSQL migrations shipped in this package.</summary>
internal sealed class PostgreSqlDesignTimeDbContextFactory : IDesignTimeDbContextFactory<AgentOrchestrationDbContext>
{
    public AgentOrchestrationDbContext CreateDbContext(string[] args)
    {
        // Authoring migrations never connects; the connection string only has to parse.
        var options = new DbContextOptionsBuilder<AgentOrchestrationDbContext>();
        options.UseAgentOrchestrationPostgreSql("Host=localhost;Database=agent_orchestration_design");
        return new AgentOrchestrationDbContext(options.Options) { Stage = MigrationStaging.FromEnvironment() };
    }
}
