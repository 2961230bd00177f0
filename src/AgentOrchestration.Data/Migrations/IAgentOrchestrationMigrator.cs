namespace AgentOrchestration.Data.Migrations;

/// <summary>Applies and rolls back the migrations of the context the library uses.</summary>
public interface IAgentOrchestrationMigrator
{
    /// <summary>Gets every migration of the context, oldest first.</summary>
    /// <returns>The migration identifiers, such as <c>20260101000000_Baseline</c>.</returns>
    IReadOnlyList<string> GetMigrations();

    /// <summary>Gets the migrations applied to the database, oldest first.</summary>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The applied migration identifiers.</returns>
    Task<IReadOnlyList<string>> GetAppliedMigrationsAsync(CancellationToken cancellationToken = default);

    /// <summary>Gets the migrations not yet applied, oldest first.</summary>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The pending migration identifiers.</returns>
    Task<IReadOnlyList<string>> GetPendingMigrationsAsync(CancellationToken cancellationToken = default);

    /// <summary>Migrates the database up to the latest migration.</summary>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A task that completes when the database is up to date.</returns>
    Task MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>Migrates the database up or down to the given migration.</summary>
    /// <param name="targetMigration">The migration's identifier or name (for example <c>Baseline</c>); <c>0</c> rolls everything back.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A task that completes when the database is at <paramref name="targetMigration"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="targetMigration"/> names no migration of the context.</exception>
    Task MigrateToAsync(string targetMigration, CancellationToken cancellationToken = default);

    /// <summary>Rolls every migration back, leaving only the migrations history table.</summary>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A task that completes when the database holds none of the library's tables.</returns>
    Task RollbackAllAsync(CancellationToken cancellationToken = default);
}
