namespace AgentOrchestration.Data.Testing;

/// <summary>How <see cref="OrchestrationTestDatabase.CreateAsync"/> prepares the new database's schema.</summary>
public enum TestDatabaseMigration
{
    /// <summary>Applies the library's shipped migrations with <see cref="Migrations.IAgentOrchestrationMigrator"/> (turnkey hosts).</summary>
    Turnkey,

    /// <summary>Leaves the database empty: the host migrates it itself (embedded hosts, see <see cref="TestDatabaseOptions.Migrate"/>) or tests migrations.</summary>
    None,
}
