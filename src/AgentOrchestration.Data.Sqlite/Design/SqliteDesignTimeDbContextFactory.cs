using AgentOrchestration.Data.Modeling;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace AgentOrchestration.Data.Sqlite.Design;

/// <summary>Creates the library's context for <c>dotnet ef</c> when it authors the SQLite migrations shipped in this package.</summary>
internal sealed class SqliteDesignTimeDbContextFactory : IDesignTimeDbContextFactory<AgentOrchestrationDbContext>
{
    public AgentOrchestrationDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<AgentOrchestrationDbContext>();
        options.UseAgentOrchestrationSqlite("Data Source=agent-orchestration-design.db");
        return new AgentOrchestrationDbContext(options.Options) { Stage = MigrationStaging.FromEnvironment() };
    }
}
