using AgentOrchestration.Data.Migrations;
using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AgentOrchestration.Data.Tests.Testing;

/// <summary>The Testing package's throw-away database: migrated on creation, gone after dispose, and its fail-or-skip rule.</summary>
[TestFixture(DatabaseProvider.Sqlite)]
[TestFixture(DatabaseProvider.PostgreSql)]
public sealed class OrchestrationTestDatabaseTests(DatabaseProvider provider)
{
    private TestDatabaseProvider Provider => TestDatabase.ToPackage(provider);

    [Test]
    public async Task A_new_database_is_migrated_and_its_services_work()
    {
        await using var database = await CreateAsync();
        await using var scope = database.Services.CreateAsyncScope();
        var migrator = scope.ServiceProvider.GetRequiredService<IAgentOrchestrationMigrator>();
        Assert.That(await migrator.GetPendingMigrationsAsync(), Is.Empty);
        Assert.That(await migrator.GetAppliedMigrationsAsync(), Is.EqualTo(migrator.GetMigrations()));

        var world = await OrchestrationWorld.CreateAsync(database.Services);
        await using var db = database.CreateContext();
        Assert.That(await db.Projects.Select(p => p.Id).SingleAsync(), Is.EqualTo(world.ProjectId));
    }

    [Test]
    public async Task Turnkey_databases_created_together_are_independent_copies_with_the_schema_a_migration_produces()
    {
        // Created concurrently, as parallel test fixtures do: one template, migrated once, copied for each.
        var databases = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => CreateAsync()));
        await using var fresh = await CreateAsync(new TestDatabaseOptions { Migration = TestDatabaseMigration.None });
        try
        {
            await using (var scope = fresh.Services.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<IAgentOrchestrationMigrator>().MigrateAsync();
            }

            var world = await OrchestrationWorld.CreateAsync(databases[0].Services);
            var expected = await SchemaAsync(fresh);
            foreach (var database in databases)
            {
                await using var db = database.CreateContext();
                Assert.Multiple(async () =>
                {
                    Assert.That(database.Name, Is.Not.EqualTo(fresh.Name));
                    Assert.That(await db.Database.GetPendingMigrationsAsync(), Is.Empty, database.Name);
                    Assert.That(await SchemaAsync(database), Is.EqualTo(expected), $"{database.Name}: tables, columns, indexes and constraints as migrated");
                    Assert.That(await db.Projects.Select(p => p.Id).ToListAsync(), Is.EqualTo(database == databases[0] ? new[] { world.ProjectId } : []), "only the database written to holds the world");
                });
            }
        }
        finally
        {
            foreach (var database in databases)
            {
                await database.DisposeAsync();
            }
        }

        Assert.That(await Task.WhenAll(databases.Select(ExistsAsync)), Is.All.False, "each copy is deleted or dropped on its own");
    }

        [Test]
    public async Task Dispose_deletes_the_file_or_drops_the_database()
    {
        var database = await CreateAsync();
        await using (var scope = database.Services.CreateAsyncScope())
        {
            await OrchestrationWorld.CreateAsync(database.Services);
        }

        Assert.That(await ExistsAsync(database), Is.True);
        await database.DisposeAsync();
        Assert.That(await ExistsAsync(database), Is.False);
        await database.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => _ = database.Services);
    }

    [Test]
    public async Task Without_migration_the_database_is_empty_and_a_host_migration_runs_after_the_turnkey_one()
    {
        await using (var empty = await CreateAsync(new TestDatabaseOptions { Migration = TestDatabaseMigration.None }))
        {
            await using var db = empty.CreateContext();
            Assert.That(await db.Database.GetAppliedMigrationsAsync(), Is.Empty);
        }

        var applied = -1;
        await using var migrated = await CreateAsync(new TestDatabaseOptions
        {
            Migrate = async (db, ct) =>
            {
                await using var context = db.CreateContext();
                applied = (await context.Database.GetAppliedMigrationsAsync(ct)).Count();
            },
        });
        Assert.That(applied, Is.EqualTo(migrated.CreateContext().Database.GetMigrations().Count()));
    }

    [Test]
    public async Task A_failing_host_migration_leaves_no_database_behind()
    {
        OrchestrationTestDatabase? created = null;
        var error = Assert.ThrowsAsync<InvalidOperationException>(() => CreateAsync(new TestDatabaseOptions
        {
            Migrate = (db, _) =>
            {
                created = db;
                throw new InvalidOperationException("host migration failed");
            },
        }));
        Assert.That(error!.Message, Is.EqualTo("host migration failed"));
        Assert.That(await ExistsAsync(created!), Is.False);
    }

    [Test]
    public void A_missing_server_skips_outside_ci_and_fails_under_ci()
    {
        if (provider == DatabaseProvider.Sqlite)
        {
            Assert.Pass("SQLite needs no server.");
        }

        var missing = "AO_TEST_NO_SUCH_SERVER_" + Guid.NewGuid().ToString("N");
        var skip = Assert.ThrowsAsync<TestDatabaseUnavailableException>(() => OrchestrationTestDatabase.CreateAsync(Provider, new TestDatabaseOptions { PostgresVariable = missing, RequireServer = false }));
        Assert.That(skip!.Message, Does.Contain(missing));
        var fail = Assert.ThrowsAsync<InvalidOperationException>(() => OrchestrationTestDatabase.CreateAsync(Provider, new TestDatabaseOptions { PostgresVariable = missing, RequireServer = true }));
        Assert.That(fail!.Message, Does.Contain("fails rather than skips"));

        var ci = Environment.GetEnvironmentVariable("CI");
        try
        {
            Environment.SetEnvironmentVariable("CI", "true");
            Assert.Throws<InvalidOperationException>(() => OrchestrationTestDatabase.ServerConnectionString(new TestDatabaseOptions { PostgresVariable = missing }));
            Environment.SetEnvironmentVariable("CI", null);
            Assert.Throws<TestDatabaseUnavailableException>(() => OrchestrationTestDatabase.ServerConnectionString(new TestDatabaseOptions { PostgresVariable = missing }));
        }
        finally
        {
            Environment.SetEnvironmentVariable("CI", ci);
        }
    }

    private async Task<OrchestrationTestDatabase> CreateAsync(TestDatabaseOptions? options = null)
    {
        try
        {
            return await OrchestrationTestDatabase.CreateAsync(Provider, options);
        }
        catch (TestDatabaseUnavailableException exception)
        {
            Assert.Ignore(exception.Message);
            throw;
        }
    }

    /// <summary>Every table's, column's, index's and constraint's definition, as the database itself reports them.</summary>
    private static async Task<List<string>> SchemaAsync(OrchestrationTestDatabase database)
    {
        await using var db = database.CreateContext();
        var sql = database.Provider == TestDatabaseProvider.Sqlite
            ? "SELECT type || ' ' || name || ' ' || coalesce(sql, '') AS \"Value\" FROM sqlite_master ORDER BY type, name"
            : """
              SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS "Value" FROM information_schema.columns WHERE table_schema = 'public'
              UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
              UNION ALL SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
              UNION ALL SELECT event_object_table || ' ' || trigger_name || ' ' || action_timing || ' ' || event_manipulation FROM information_schema.triggers WHERE trigger_schema = 'public'
              ORDER BY 1
              """;
        return await db.Database.SqlQueryRaw<string>(sql).ToListAsync();
    }

    private static async Task<bool> ExistsAsync(OrchestrationTestDatabase database)
    {
        if (database.Provider == TestDatabaseProvider.Sqlite)
        {
            return File.Exists(database.Name) || File.Exists(database.Name + "-wal");
        }

        await using var admin = new NpgsqlConnection(TestDatabase.AdminConnectionString());
        await admin.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT COUNT(*) FROM pg_database WHERE datname = @name", admin);
        command.Parameters.AddWithValue("name", database.Name);
        return (long)(await command.ExecuteScalarAsync())! > 0;
    }
}
