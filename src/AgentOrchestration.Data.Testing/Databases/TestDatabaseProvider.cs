namespace AgentOrchestration.Data.Testing;

/// <summary>The database engines a <see cref="OrchestrationTestDatabase"/> can be.</summary>
public enum TestDatabaseProvider
{
    /// <summary>A temporary SQLite file; needs the <c>AgentOrchestration.Data.Sqlite</c> package.</summary>
    Sqlite,

    /// <summary>A new database on the PostgreSQL server named by <see cref="TestDatabaseOptions.PostgresVariable"/>; needs the <c>AgentOrchestration.Data.PostgreSql</c> package.</summary>
    PostgreSql,
}
