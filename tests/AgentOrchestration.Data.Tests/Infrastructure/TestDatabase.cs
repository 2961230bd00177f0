using AgentOrchestration.Data.Testing;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>
/// A fresh, empty, real database for one test: the Testing package's <see cref="OrchestrationTestDatabase"/> (a temporary
/// SQLite file, or a new database on the PostgreSQL server named by <c>AO_TEST_POSTGRES</c>, which build/test.sh starts),
/// left unmigrated so migration tests start from nothing unless a fixture asks for it migrated. Dropped on dispose. Outside CI a missing server skips the test;
/// under CI it fails.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public const string PostgresVariable = TestDatabaseOptions.DefaultPostgresVariable;

    private TestDatabase(DatabaseProvider provider, OrchestrationTestDatabase database)
    {
        Provider = provider;
        Throwaway = database;
    }

    public DatabaseProvider Provider { get; }

    /// <summary>The package's database this wraps, for tests that use its services or helpers.</summary>
    public OrchestrationTestDatabase Throwaway { get; }

    public string ConnectionString => Throwaway.ConnectionString;

    /// <summary>A new database: empty, or with <paramref name="migrated"/> a copy of the package's migrated template.</summary>
    public static async Task<TestDatabase> CreateAsync(DatabaseProvider provider, bool migrated = false) =>
        new(provider, await Skippable(() => OrchestrationTestDatabase.CreateAsync(ToPackage(provider), new TestDatabaseOptions { Migration = migrated ? TestDatabaseMigration.Turnkey : TestDatabaseMigration.None })));

    /// <summary>The PostgreSQL server's admin connection string; under CI a missing server fails the test, elsewhere it skips.</summary>
    public static string AdminConnectionString() => Skippable(() => Task.FromResult(OrchestrationTestDatabase.ServerConnectionString())).GetAwaiter().GetResult();

    public static TestDatabaseProvider ToPackage(DatabaseProvider provider) =>
        provider == DatabaseProvider.Sqlite ? TestDatabaseProvider.Sqlite : TestDatabaseProvider.PostgreSql;

    public DbContextOptions<TContext> Options<TContext>(Action<DbContextOptionsBuilder>? configure = null)
        where TContext : DbContext
    {
        var builder = new DbContextOptionsBuilder<TContext>();
        Throwaway.ConfigureContext(builder);
        configure?.Invoke(builder);
        return builder.Options;
    }

    public AgentOrchestrationDbContext CreateContext() => new(Options<AgentOrchestrationDbContext>());

    public ValueTask DisposeAsync() => Throwaway.DisposeAsync();

    /// <summary>NUnit's mapping of the package's "no server outside CI" exception: the test is skipped.</summary>
    private static async Task<T> Skippable<T>(Func<Task<T>> create)
    {
        try
        {
            return await create();
        }
        catch (TestDatabaseUnavailableException exception)
        {
            Assert.Ignore(exception.Message);
            throw;
        }
    }
}
