using System.Data.Common;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AgentOrchestration.Data.Tests.Claims;

/// <summary>
/// The PostgreSQL claim and completion batches a context keeps, prepared once per physical connection and run again
/// with new values: a context whose connection comes back from the pool on another physical connection prepares them
/// there too (unprepared, PostgreSQL would plan the large statements on every call), and the values of each call are
/// the ones that run.
/// </summary>
public sealed class PreparedBatchTests(DatabaseProvider provider) : ClaimFixture(provider, agentLimit: 20)
{
    [SetUp]
    public void PostgreSqlOnly()
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            Assert.Ignore("SQLite compiles its statements per open connection (SqliteBusyTests).");
        }
    }

    [Test]
    public async Task A_context_back_on_another_physical_connection_prepares_its_batches_there_and_runs_each_calls_values()
    {
        var items = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            items.Add((await AddItemAsync(priority: 1 + i)).Id);
        }

        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();

        var first = await claimer.ClaimNextAsync(Agent.Id, Project.Id);
        await claimer.CompleteAsync(first!.Lease);
        var before = await BackendAsync(connection);

        // The pool's idle physical connections are closed: the context's next call opens a new one.
        NpgsqlConnection.ClearPool(connection);
        var claimed = new List<ClaimedWork>();
        for (var i = 0; i < 2; i++)
        {
            var next = await claimer.ClaimNextAsync(Agent.Id, Project.Id);
            await claimer.CompleteAsync(next!.Lease);
            claimed.Add(next);
        }

        var after = await BackendAsync(connection);
        await db.Database.OpenConnectionAsync();
        var claimRuns = await PreparedRunsAsync(connection, "%INSERT INTO orchestration_events%work_item.claimed%");
        var completeRuns = await PreparedRunsAsync(connection, "%work_item.completed%");
        await db.Database.CloseConnectionAsync();

        Assert.Multiple(() =>
        {
            Assert.That(after, Is.Not.EqualTo(before), "the calls after the pool was cleared ran on another physical connection");
            Assert.That(claimRuns, Is.EqualTo(2), "both claims on the new physical connection ran its prepared claim");
            Assert.That(completeRuns, Is.EqualTo(2), "both completions on the new physical connection ran its prepared completion");

            // Claim order is priority order, and each kept batch ran with its own call's lease.
            Assert.That(new[] { first.Lease.WorkItemId }.Concat(claimed.Select(c => c.Lease.WorkItemId)), Is.EqualTo(items.Take(3)));
        });

        await using var check = CreateContext();
        var done = await check.WorkItems.Where(w => items.Contains(w.Id) && w.DelegationStatus == Entities.DelegationStatus.Completed).Select(w => w.Id).ToListAsync();
        Assert.That(done, Is.EquivalentTo(items.Take(3)), "each completion completed its own item, and only that one");
    }

    private static async Task<int> BackendAsync(NpgsqlConnection connection)
    {
        await connection.OpenAsync();
        try
        {
            return connection.ProcessID;
        }
        finally
        {
            await connection.CloseAsync();
        }
    }

    /// <summary>How often the statement prepared on the connection whose text is <c>LIKE</c> <paramref name="pattern"/> ran (its generic and custom plans).</summary>
    private static async Task<long> PreparedRunsAsync(DbConnection connection, string pattern)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT coalesce(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements WHERE statement LIKE '{pattern}'";
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
