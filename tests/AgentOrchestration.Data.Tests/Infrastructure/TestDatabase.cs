using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>
/// A fresh, empty, real database for one test: a temporary SQLite file, or a new database on the PostgreSQL server
/// named by <c>AO_TEST_POSTGRES</c> (build/test.sh starts one). Dropped on dispose.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public const string PostgresVariable = "AO_TEST_POSTGRES";

    private readonly string? sqlitePath;
    private readonly string? postgresAdmin;
    private readonly string? postgresName;

    private TestDatabase(DatabaseProvider provider, string connectionString, string? sqlitePath, string? postgresAdmin, string? postgresName)
    {
        Provider = provider;
        ConnectionString = connectionString;
        this.sqlitePath = sqlitePath;
        this.postgresAdmin = postgresAdmin;
        this.postgresName = postgresName;
    }

    public DatabaseProvider Provider { get; }

    public string ConnectionString { get; }

    public static async Task<TestDatabase> CreateAsync(DatabaseProvider provider)
    {
        if (provider == DatabaseProvider.Sqlite)
        {
            var path = Path.Combine(Path.GetTempPath(), $"ao-test-{Guid.NewGuid():N}.db");
            return new TestDatabase(provider, $"Data Source={path}", path, null, null);
        }

        var admin = AdminConnectionString();
        var name = $"ao_test_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name };
        return new TestDatabase(provider, builder.ConnectionString, null, admin, name);
    }

    /// <summary>The PostgreSQL server's admin connection string; under CI a missing or unreachable server fails the test, elsewhere it skips.</summary>
    public static string AdminConnectionString()
    {
        var value = Environment.GetEnvironmentVariable(PostgresVariable);
        var ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(value))
        {
            var message = $"{PostgresVariable} is not set: run the tests with 'bash build/test.sh', which starts PostgreSQL, or point {PostgresVariable} at your own server.";
            if (ci)
            {
                Assert.Fail(message);
            }

            Assert.Ignore(message);
        }

        return value!;
    }

    public DbContextOptions<TContext> Options<TContext>(Action<DbContextOptionsBuilder>? configure = null)
        where TContext : DbContext
    {
        var builder = new DbContextOptionsBuilder<TContext>();
        if (Provider == DatabaseProvider.Sqlite)
        {
            builder.UseAgentOrchestrationSqlite(ConnectionString);
        }
        else
        {
            builder.UseAgentOrchestrationPostgreSql(ConnectionString);
        }

        configure?.Invoke(builder);
        return builder.Options;
    }

    public AgentOrchestrationDbContext CreateContext() => new(Options<AgentOrchestrationDbContext>());

    public async ValueTask DisposeAsync()
    {
        if (sqlitePath is not null)
        {
            SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { string.Empty, "-wal", "-shm" })
            {
                File.Delete(sqlitePath + suffix);
            }

            return;
        }

        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(postgresAdmin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{postgresName}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
