namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>The database engines every behaviour is tested on.</summary>
public enum DatabaseProvider
{
    Sqlite,
    PostgreSql,
}
