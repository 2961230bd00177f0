using System.Data.Common;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace AgentOrchestration.Data.Tests.Foundation;

/// <summary>Proves the pipeline reaches a real database on each provider: a table is created, a row written and read back.</summary>
public sealed class ConnectivityTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    [Test]
    public async Task Writes_and_reads_a_row_on_a_real_database()
    {
        await using DbConnection connection = Provider == DatabaseProvider.Sqlite
            ? new SqliteConnection(Database.ConnectionString)
            : new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();

        var marker = Guid.NewGuid().ToString();
        await ExecuteAsync(connection, "CREATE TABLE probe (id INTEGER PRIMARY KEY, marker TEXT NOT NULL)");
        await ExecuteAsync(connection, $"INSERT INTO probe (id, marker) VALUES (1, '{marker}')");

        await using var read = connection.CreateCommand();
        read.CommandText = "SELECT marker FROM probe WHERE id = 1";
        Assert.That(await read.ExecuteScalarAsync(), Is.EqualTo(marker));
    }

    private static async Task ExecuteAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
