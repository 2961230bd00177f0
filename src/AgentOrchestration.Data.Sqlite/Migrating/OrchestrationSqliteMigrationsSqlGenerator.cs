using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace AgentOrchestration.Data.Sqlite.Migrating;

/// <summary>
/// EF Core's SQLite migration SQL, with each migration applied in one transaction. EF rebuilds a table SQLite cannot
/// alter in place between <c>PRAGMA foreign_keys = 0</c> and <c>= 1</c>, which only work outside a transaction, so it
/// splits such a migration into several transactions: a process killed between them leaves the migration half-applied
/// and unrecorded, and the re-run then fails (<c>duplicate column name</c>). Here the pragmas are dropped and every
/// command runs in the migration's transaction; foreign keys are off for the whole migration instead (set on the
/// connection, outside any transaction, by <see cref="OrchestrationSqliteHistoryRepository"/> while it holds the
/// migration lock), so a rebuild's <c>DROP TABLE</c> still cascades to nothing. A script (<c>dotnet ef migrations
/// script</c>) keeps EF's form.
/// </summary>
internal sealed class OrchestrationSqliteMigrationsSqlGenerator(MigrationsSqlGeneratorDependencies dependencies, IRelationalAnnotationProvider migrationsAnnotations)
    : SqliteMigrationsSqlGenerator(dependencies, migrationsAnnotations)
{
    public override IReadOnlyList<MigrationCommand> Generate(IReadOnlyList<MigrationOperation> operations, IModel? model = null, MigrationsSqlGenerationOptions options = MigrationsSqlGenerationOptions.Default)
    {
        var commands = base.Generate(operations, model, options);
        if (options.HasFlag(MigrationsSqlGenerationOptions.Script) || !commands.Any(c => c.TransactionSuppressed))
        {
            return commands;
        }

        return commands
            .Where(c => !IsForeignKeysPragma(c.CommandText))
            .Select(c => c.TransactionSuppressed
                ? new MigrationCommand(Dependencies.CommandBuilderFactory.Create().Append(c.CommandText).Build(), Dependencies.CurrentContext.Context, c.CommandLogger, transactionSuppressed: false)
                : c)
            .ToList();
    }

    private static bool IsForeignKeysPragma(string sql) =>
        sql.Trim().TrimEnd(';').Replace(" ", string.Empty, StringComparison.Ordinal).StartsWith("PRAGMAforeign_keys=", StringComparison.OrdinalIgnoreCase);
}
