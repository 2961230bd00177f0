using System.Data.Common;
using AgentOrchestration.Data.Migrations;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Testing;

/// <summary>
/// The databases turnkey test databases are copied from: one per process and server, migrated once with the library's
/// shipped migrations, so a test pays for a copy (a file copy on SQLite, <c>CREATE DATABASE ... TEMPLATE</c> on
/// PostgreSQL) instead of a full migration. The shipped migrations are fixed for the loaded assemblies, so every copy
/// holds what migrating it would have produced.
/// </summary>
internal static class MigratedTemplates
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static readonly Dictionary<string, string> Templates = [];
    private static bool cleanupRegistered;

    /// <summary>Creates the SQLite file <paramref name="path"/> as a copy of the migrated template.</summary>
    public static async Task CopySqliteAsync(string path, CancellationToken cancellationToken)
    {
        var template = await GetAsync("sqlite", CreateSqliteAsync, cancellationToken).ConfigureAwait(false);
        File.Copy(template, path);
        if (File.Exists(template + "-wal"))
        {
            // Commits a checkpoint did not reach yet are part of the database too.
            File.Copy(template + "-wal", path + "-wal");
        }
    }

    /// <summary>Creates the PostgreSQL database <paramref name="name"/> as a copy of the migrated template on the server.</summary>
    public static async Task CreatePostgresAsync(string adminConnectionString, string name, CancellationToken cancellationToken)
    {
        var template = await GetAsync("postgres " + adminConnectionString, ct => CreatePostgresTemplateAsync(adminConnectionString, ct), cancellationToken).ConfigureAwait(false);
        await OrchestrationTestDatabase.AdminCommandAsync(adminConnectionString, $"CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"", cancellationToken).ConfigureAwait(false);
    }

    private static async Task<string> GetAsync(string key, Func<CancellationToken, Task<string>> create, CancellationToken cancellationToken)
    {
        // One creation at a time; a failed or cancelled one caches nothing, so the next test tries again.
        await Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!Templates.TryGetValue(key, out var template))
            {
                if (!cleanupRegistered)
                {
                    AppDomain.CurrentDomain.ProcessExit += (_, _) => DropAll();
                    cleanupRegistered = true;
                }

                template = await create(cancellationToken).ConfigureAwait(false);
                Templates[key] = template;
            }

            return template;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<string> CreateSqliteAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(Path.GetTempPath(), $"ao-template-{Guid.NewGuid():N}.db");
        try
        {
            // Unpooled, so the last connection's close checkpoints the WAL into the file and nothing holds it: the file
            // alone is the migrated database.
            await MigrateAsync(TestDatabaseProvider.Sqlite, $"Data Source={path};Pooling=False", cancellationToken).ConfigureAwait(false);
            return path;
        }
        catch
        {
            OrchestrationTestDatabase.DeleteSqliteFiles(path);
            throw;
        }
    }

    private static async Task<string> CreatePostgresTemplateAsync(string adminConnectionString, CancellationToken cancellationToken)
    {
        var name = $"ao_template_{Guid.NewGuid():N}";
        await OrchestrationTestDatabase.AdminCommandAsync(adminConnectionString, $"CREATE DATABASE \"{name}\"", cancellationToken).ConfigureAwait(false);
        try
        {
            // Unpooled: a database is copied only while nobody is connected to it.
            var builder = new DbConnectionStringBuilder { ConnectionString = OrchestrationTestDatabase.OnDatabase(adminConnectionString, name) };
            builder["Pooling"] = "false";
            await MigrateAsync(TestDatabaseProvider.PostgreSql, builder.ConnectionString, cancellationToken).ConfigureAwait(false);
            return name;
        }
        catch
        {
            await DropPostgresAsync(adminConnectionString, name).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task MigrateAsync(TestDatabaseProvider provider, string connectionString, CancellationToken cancellationToken)
    {
        var collection = new ServiceCollection();
        collection.AddAgentOrchestration(o => ProviderPackages.UseTurnkey(provider, o, connectionString));
        await using var services = collection.BuildServiceProvider();
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IAgentOrchestrationMigrator>().MigrateAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Best effort at exit: a process that is killed leaves its templates (named <c>ao-template-*</c> and <c>ao_template_*</c>), as it leaves its test databases.</summary>
    private static void DropAll()
    {
        foreach (var (key, template) in Templates)
        {
            try
            {
                if (key == "sqlite")
                {
                    OrchestrationTestDatabase.DeleteSqliteFiles(template);
                }
                else
                {
                    DropPostgresAsync(key["postgres ".Length..], template).GetAwaiter().GetResult();
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or DbException or InvalidOperationException)
            {
                // The server may already be gone at exit: nothing else to do.
            }
        }
    }

    private static Task DropPostgresAsync(string adminConnectionString, string name) =>
        OrchestrationTestDatabase.AdminCommandAsync(adminConnectionString, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", CancellationToken.None);
}
