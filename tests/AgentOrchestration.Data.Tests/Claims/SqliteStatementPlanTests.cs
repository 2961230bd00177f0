using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Claims;

/// <summary>
/// SQLite's claim and complete statements reach the rows they write by keys, whatever the statistics say: a plan that
/// scans a table costs in proportion to the backlog on every call. SQLite counts the rows each compiled statement stepped
/// through in full scans (<c>SQLITE_STMTSTATUS_FULLSCAN_STEP</c>), so the test reads that count, not a time.
/// </summary>
public sealed class SqliteStatementPlanTests
{
    private const int Backlog = 120;

    [Test]
    public async Task Claim_and_complete_scan_no_table_with_the_statistics_of_a_fresh_backlog()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using (var context = database.CreateContext())
        {
            await context.Database.MigrateAsync();
        }

        await using var services = database.Throwaway.CreateServices(configureOrchestration: OrchestrationServices.WithoutQaGate);
        await using var scope = services.CreateAsyncScope();
        var work = scope.ServiceProvider.GetRequiredService<IWorkItemService>();
        var project = await work.CreateProjectAsync(Fakes.Factory.Project());
        for (var i = 0; i < Backlog; i++)
        {
            await work.CreateWorkItemAsync(Fakes.Factory.Task(project.Id, configure: t => t.RequiredCapabilities = []));
        }

        var agent = await scope.ServiceProvider.GetRequiredService<IAgentRegistry>().RegisterAsync(Fakes.Factory.Agent());

        // Statistics of a backlog nobody has claimed from yet (every item without an assignment), as ANALYZE or
        // PRAGMA optimize leaves them; the statements compile after this, on the scope's connection.
        var db = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        await db.Database.ExecuteSqlRawAsync("ANALYZE");
        await db.Database.OpenConnectionAsync();
        var handle = ((SqliteConnection)db.Database.GetDbConnection()).Handle!;
        handle.enable_sqlite3_next_stmt(true);

        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        const int Rounds = 3;
        for (var i = 0; i < Rounds; i++)
        {
            var claimed = await claimer.ClaimNextAsync(agent.Id, project.Id);
            Assert.That(claimed, Is.Not.Null);
            await claimer.CompleteAsync(claimed!.Lease);
        }

        // A statement that scanned work_items stepped through about the whole backlog on each call; one that reaches
        // its rows by keys steps through none of it (only sqlite_sequence, a row per AUTOINCREMENT table, for an event).
        var scanned = new List<string>();
        var seen = 0;
        for (var statement = SQLitePCL.raw.sqlite3_next_stmt(handle, null); statement is not null && !statement.IsInvalid; statement = SQLitePCL.raw.sqlite3_next_stmt(handle, statement))
        {
            seen++;
            var steps = SQLitePCL.raw.sqlite3_stmt_status(statement, SQLitePCL.raw.SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
            if (steps >= Backlog / 2)
            {
                scanned.Add($"{steps} full-scan steps in {Rounds} calls: {SQLitePCL.raw.sqlite3_sql(statement).utf8_to_string()}");
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(seen, Is.GreaterThanOrEqualTo(6), "the claim's and the complete's statements are compiled on the connection");
            Assert.That(scanned, Is.Empty);
        });
    }
}
