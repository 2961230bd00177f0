using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AgentOrchestration.Data.Tests.Foundation;

/// <summary>
/// What the library configures on the connections of its own context: on SQLite the pragmas of every pooled connection
/// (a read included, before any library write), on PostgreSQL automatic statement preparation unless the host chose.
/// </summary>
public sealed class ConnectionSetupTests
{
    [Test]
    public async Task A_turnkey_sqlite_connection_is_wal_with_synchronous_normal_and_a_busy_timeout()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var pragmas = await PragmasAsync(database, o => o.UseSqlite(database.ConnectionString));
        Assert.That(pragmas, Is.EqualTo(("wal", 1L, 1000L)), "journal_mode, synchronous (1 = NORMAL), busy_timeout");
    }

    [Test]
    public async Task Synchronous_full_is_chosen_with_UseSynchronous()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var pragmas = await PragmasAsync(database, o => o.UseSqlite(database.ConnectionString, s => s.UseSynchronous(SqliteSynchronous.Full)));
        Assert.That(pragmas, Is.EqualTo(("wal", 2L, 1000L)), "journal_mode, synchronous (2 = FULL), busy_timeout");
    }

    [Test]
    public void An_undefined_synchronous_mode_is_refused_naming_the_allowed_ones()
    {
        var refused = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new DbContextOptionsBuilder().UseSqlite("Data Source=x.db", s => s.UseSynchronous((SqliteSynchronous)7)));
        Assert.That(refused!.Message, Does.Contain("Normal, Full"));
    }

    [Test]
    public async Task The_turnkey_postgresql_context_prepares_statements_and_skips_the_pool_reset_unless_the_connection_string_says()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.PostgreSql);
        Assert.That(Settings(database.ConnectionString), Is.EqualTo((64, 2, true)));
        Assert.That(Settings(database.ConnectionString + ";Max Auto Prepare=0"), Is.EqualTo((0, 2, true)), "the host's choice stands");
        Assert.That(Settings(database.ConnectionString + ";Auto Prepare Min Usages=7"), Is.EqualTo((64, 7, true)));
        Assert.That(Settings(database.ConnectionString + ";No Reset On Close=false"), Is.EqualTo((64, 2, false)));
    }

    private static (int MaxAutoPrepare, int MinUsages, bool NoResetOnClose) Settings(string connectionString)
    {
        var services = new ServiceCollection().AddAgentOrchestration(o => o.UsePostgreSql(connectionString)).BuildServiceProvider();
        using (services)
        {
            using var scope = services.CreateScope();
            var used = new NpgsqlConnectionStringBuilder(scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>().Database.GetConnectionString());
            return (used.MaxAutoPrepare, used.AutoPrepareMinUsages, used.NoResetOnClose);
        }
    }

    private static async Task<(string?, long, long)> PragmasAsync(TestDatabase database, Action<AgentOrchestrationBuilder> configure)
    {
        await using var services = new ServiceCollection().AddAgentOrchestration(configure).BuildServiceProvider();
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        await db.Database.OpenConnectionAsync();
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        async Task<object?> PragmaAsync(string name)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA {name};";
            return await command.ExecuteScalarAsync();
        }

        return ((string?)await PragmaAsync("journal_mode"), (long)(await PragmaAsync("synchronous"))!, (long)(await PragmaAsync("busy_timeout"))!);
    }
}
