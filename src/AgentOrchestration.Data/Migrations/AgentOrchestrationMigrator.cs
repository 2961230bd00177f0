using AgentOrchestration.Data.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AgentOrchestration.Data.Migrations;

/// <summary>The default <see cref="IAgentOrchestrationMigrator"/>, over EF Core's migrator.</summary>
internal sealed class AgentOrchestrationMigrator(OrchestrationContext orchestration) : IAgentOrchestrationMigrator
{
    private readonly DbContext context = orchestration.Context;

    public IReadOnlyList<string> GetMigrations() => context.Database.GetMigrations().ToList();

    public async Task<IReadOnlyList<string>> GetAppliedMigrationsAsync(CancellationToken cancellationToken = default) =>
        (await context.Database.GetAppliedMigrationsAsync(cancellationToken).ConfigureAwait(false)).ToList();

    public async Task<IReadOnlyList<string>> GetPendingMigrationsAsync(CancellationToken cancellationToken = default) =>
        (await context.Database.GetPendingMigrationsAsync(cancellationToken).ConfigureAwait(false)).ToList();

    public Task MigrateAsync(CancellationToken cancellationToken = default) =>
        context.GetService<IMigrator>().MigrateAsync(targetMigration: null, cancellationToken);

    public Task MigrateToAsync(string targetMigration, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(targetMigration);
        return context.GetService<IMigrator>().MigrateAsync(Resolve(targetMigration), cancellationToken);
    }

    public Task RollbackAllAsync(CancellationToken cancellationToken = default) =>
        context.GetService<IMigrator>().MigrateAsync(Migration.InitialDatabase, cancellationToken);

    private string Resolve(string target)
    {
        if (target == Migration.InitialDatabase)
        {
            return target;
        }

        var migrations = GetMigrations();
        var match = migrations.FirstOrDefault(m => string.Equals(m, target, StringComparison.OrdinalIgnoreCase))
            ?? migrations.FirstOrDefault(m => m.EndsWith("_" + target, StringComparison.OrdinalIgnoreCase));
        return match ?? throw new ArgumentException(
            $"'{target}' is not a migration of {context.GetType().Name}. Allowed: 0 (roll everything back), {string.Join(", ", migrations)}.",
            nameof(target));
    }
}
