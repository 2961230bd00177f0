using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Sqlite.Migrations.Internal;
using Microsoft.EntityFrameworkCore.Storage;

namespace AgentOrchestration.Data.Sqlite.Migrating;

#pragma warning disable EF1001 // EF's own SQLite history repository; only its migration lock is wrapped.

/// <summary>
/// EF Core's SQLite history repository with a migration lock that a killed process cannot leave behind. EF's lock is a
/// row in <c>__EFMigrationsLock</c>, deleted when the migration ends; a migrating process killed in between leaves the
/// row, and every later <c>MigrateAsync</c> waits for it for ever. Here a migrator first takes an OS lock on a file
/// beside the database (<c>&lt;database&gt;-migrations</c>, opened unshared: <c>flock</c> on Unix, a sharing lock on
/// Windows, both dropped by the OS when the process dies). Every migrator of this library holds that lock while it
/// holds EF's row, so a row found by the holder of the file lock belongs to a dead process and is removed.
/// </summary>
internal sealed class OrchestrationSqliteHistoryRepository(HistoryRepositoryDependencies dependencies) : SqliteHistoryRepository(dependencies)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    public override IMigrationsDatabaseLock AcquireDatabaseLock() => AcquireDatabaseLockAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override async Task<IMigrationsDatabaseLock> AcquireDatabaseLockAsync(CancellationToken cancellationToken = default)
    {
        var file = await TakeFileLockAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (file is not null)
            {
                await RemoveStaleRowAsync(cancellationToken).ConfigureAwait(false);
            }

            var inner = await base.AcquireDatabaseLockAsync(cancellationToken).ConfigureAwait(false);

            // Each migration runs whole in one transaction (OrchestrationSqliteMigrationsSqlGenerator), where the
            // foreign_keys pragma of a table rebuild would be ignored: it is off for the whole run instead.
            var foreignKeys = Convert.ToInt64(await ScalarAsync("PRAGMA foreign_keys", cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            await ScalarAsync("PRAGMA foreign_keys = 0", cancellationToken).ConfigureAwait(false);
            return new Lock(inner, file, this, () => ScalarAsync($"PRAGMA foreign_keys = {foreignKeys}", CancellationToken.None));
        }
        catch
        {
            file?.Dispose();
            throw;
        }
    }

    /// <summary>The OS lock beside the database file, waiting while another live migrator holds it; none for an in-memory database.</summary>
    private async Task<FileStream?> TakeFileLockAsync(CancellationToken cancellationToken)
    {
        var source = ((SqliteConnection)Dependencies.Connection.DbConnection).DataSource;
        if (string.IsNullOrEmpty(source) || source.Contains(":memory:", StringComparison.Ordinal))
        {
            return null;
        }

        while (true)
        {
            try
            {
                return new FileStream(Path.GetFullPath(source) + "-migrations", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                // Another process (or another migrator of this one) is migrating: wait for it as EF's own lock would.
                await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task RemoveStaleRowAsync(CancellationToken cancellationToken)
    {
        var exists = await ScalarAsync(
            $"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = {Dependencies.TypeMappingSource.GetMapping(typeof(string)).GenerateSqlLiteral(LockTableName)}",
            cancellationToken).ConfigureAwait(false);
        if (Convert.ToInt64(exists, System.Globalization.CultureInfo.InvariantCulture) != 0)
        {
            await ScalarAsync($"DELETE FROM {Dependencies.SqlGenerationHelper.DelimitIdentifier(LockTableName)}", cancellationToken).ConfigureAwait(false);
        }
    }

    private Task<object?> ScalarAsync(string sql, CancellationToken cancellationToken) =>
        Dependencies.RawSqlCommandBuilder.Build(sql).ExecuteScalarAsync(
            new RelationalCommandParameterObject(Dependencies.Connection, null, null, Dependencies.CurrentContext.Context, Dependencies.CommandLogger, CommandSource.Migrations),
            cancellationToken);

    /// <summary>Foreign keys back as they were, EF's lock, then the file lock: the row goes before the file lock that vouches for it.</summary>
    private sealed class Lock(IMigrationsDatabaseLock inner, FileStream? file, IHistoryRepository repository, Func<Task<object?>> restore) : IMigrationsDatabaseLock
    {
        public IHistoryRepository HistoryRepository => repository;

        public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

        public async ValueTask DisposeAsync()
        {
            try
            {
                await restore().ConfigureAwait(false);
                await inner.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                if (file is not null)
                {
                    await file.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }
}
