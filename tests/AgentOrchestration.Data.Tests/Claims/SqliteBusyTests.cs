using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Storage;
using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Claims;

/// <summary>SQLite's one-writer rule: a library write waits for another process's writer, but not forever.</summary>
public sealed class SqliteBusyTests
{
    [Test]
    public async Task A_writer_that_never_lets_go_times_out_with_the_database_named_and_nothing_written()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var (project, agent) = await SeedAsync(database);

        // Another "process": a plain connection holding the write lock, outside this process's gate.
        await using var other = new SqliteConnection(database.ConnectionString);
        await other.OpenAsync();
        await using var hold = other.BeginTransaction(deferred: false);

        var services = new ServiceCollection()
            .AddAgentOrchestration(o => o.UseSqlite(database.ConnectionString + ";Default Timeout=2"))
            .BuildServiceProvider();
        await using (services)
        {
            await using var scope = services.CreateAsyncScope();
            var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
            var started = DateTime.UtcNow;
            // The wait already lasted the caller's limit: reported as a transient fault, not waited for again.
            var fault = Assert.ThrowsAsync<AgentOrchestrationTransientException>(() => claimer.ClaimNextAsync(agent.Id, project.Id));
            Assert.That(fault!.MayHaveCommitted, Is.False);
            Assert.That(fault.Attempts, Is.EqualTo(1));
            var timeout = fault.InnerException as TimeoutException;
            Assert.That(timeout?.InnerException, Is.InstanceOf<SqliteException>());
            Assert.That(timeout!.Message, Does.Contain(Path.GetFileName(database.ConnectionString.Split('=')[1])).And.Contain("2 s"));
            Assert.That(DateTime.UtcNow - started, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1.5)), "it waited for the writer first");

            await hold.RollbackAsync();
            Assert.That(await claimer.ClaimNextAsync(agent.Id, project.Id), Is.Not.Null, "and works once the writer is gone");
        }
    }

    [Test]
    public async Task Default_timeout_zero_waits_for_the_writer_as_long_as_it_holds_on_and_stays_cancellable()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var (project, agent) = await SeedAsync(database);
        await using var other = new SqliteConnection(database.ConnectionString);
        await other.OpenAsync();
        var hold = other.BeginTransaction(deferred: false);

        var services = new ServiceCollection()
            .AddAgentOrchestration(o => o.UseSqlite(database.ConnectionString + ";Default Timeout=0"))
            .BuildServiceProvider();
        await using (services)
        {
            // Microsoft.Data.Sqlite reads 0 as "no limit": the claim is still waiting well after the 1 s it gave up at before.
            await using var scope = services.CreateAsyncScope();
            var claim = scope.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimNextAsync(agent.Id, project.Id);
            await Task.WhenAny(claim, Task.Delay(TimeSpan.FromSeconds(3)));
            Assert.That(claim.IsCompleted, Is.False, claim.Exception?.ToString() ?? "still waiting");
            hold.Rollback();
            Assert.That(await claim, Is.Not.Null, "it claims once the writer is gone");

            // Waiting without a limit ends with the caller's token.
            hold = other.BeginTransaction(deferred: false);
            using var cancel = new CancellationTokenSource();
            await using var second = services.CreateAsyncScope();
            var waiting = second.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimNextAsync(agent.Id, project.Id, cancellationToken: cancel.Token);
            await Task.WhenAny(waiting, Task.Delay(TimeSpan.FromSeconds(1.5)));
            Assert.That(waiting.IsCompleted, Is.False);
            await cancel.CancelAsync();
            Assert.That(async () => await waiting, Throws.InstanceOf<OperationCanceledException>());
            hold.Rollback();
        }

        await using var check = database.CreateContext();
        Assert.That(await check.TaskAssignments.CountAsync(), Is.EqualTo(1), "the cancelled claim wrote nothing");
    }

    [Test]
    public async Task Every_physical_connection_the_pool_hands_out_gets_the_native_busy_timeout()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await SeedAsync(database);
        await using var context = database.CreateContext();
        var connection = (SqliteConnection)context.Database.GetDbConnection();
        var provider = OrchestrationProviders.For(context);
        var handles = new List<object>();
        for (var open = 0; open < 2; open++)
        {
            // One SqliteConnection object, a new native handle each time: the pool is emptied in between.
            await using (var transaction = await provider.BeginSerializedAsync(context, "test", CancellationToken.None))
            {
                handles.Add(connection.Handle!);
                await using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA busy_timeout";
                var timeout = Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
                Assert.That(timeout, Is.EqualTo(1000), $"open {open + 1}");
                await transaction.CommitAsync();
            }

            // The library's own context keeps its connection (and the statements compiled on it) until it is disposed;
            // closed here, the handle goes back to the pool and is dropped with it.
            Assert.That(connection.State, Is.EqualTo(System.Data.ConnectionState.Open));
            await context.Database.CloseConnectionAsync();
            Assert.That(connection.State, Is.EqualTo(System.Data.ConnectionState.Closed));
            SqliteConnection.ClearAllPools();
        }

        Assert.That(handles[1], Is.Not.SameAs(handles[0]), "the second open got another physical connection");
    }

    [Test]
    public async Task A_scope_compiles_its_claim_statements_once_and_runs_them_again()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var (project, agent) = await SeedAsync(database);
        await using var services = database.Throwaway.CreateServices();
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        var other = await scope.ServiceProvider.GetRequiredService<IAgentRegistry>().RegisterAsync(Fakes.Factory.Agent());

        // Opened here only to switch on SQLite's list of the handle's live statements (off unless asked for at open).
        await db.Database.OpenConnectionAsync();
        var handle = ((SqliteConnection)db.Database.GetDbConnection()).Handle!;
        handle.enable_sqlite3_next_stmt(true);

        Assert.That(await claimer.ClaimNextAsync(agent.Id, project.Id), Is.Not.Null);
        var afterFirst = LiveStatements(handle);
        Assert.That(await claimer.ClaimNextAsync(other.Id, project.Id), Is.Not.Null);
        var afterSecond = LiveStatements(handle);

        // Finalized after every call, each would be compiled again (the claim's costs more to compile than to run).
        Assert.Multiple(() =>
        {
            Assert.That(afterFirst.Values.Count(sql => sql.Contains("RETURNING", StringComparison.Ordinal) && sql.Contains("json_extract(@ids", StringComparison.Ordinal)), Is.EqualTo(1),
                "the claim's statement is still compiled after the first claim");
            Assert.That(afterSecond, Is.EquivalentTo(afterFirst), "the second claim ran the statements the first compiled, and compiled no others");
        });
    }

    private static Dictionary<nint, string> LiveStatements(SQLitePCL.sqlite3 handle)
    {
        var live = new Dictionary<nint, string>();
        for (var statement = SQLitePCL.raw.sqlite3_next_stmt(handle, null); statement is not null && !statement.IsInvalid; statement = SQLitePCL.raw.sqlite3_next_stmt(handle, statement))
        {
            live[statement.DangerousGetHandle()] = SQLitePCL.raw.sqlite3_sql(statement).utf8_to_string();
        }

        return live;
    }

    private static async Task<(Entities.Project Project, Entities.AgentProfile Agent)> SeedAsync(TestDatabase database)
    {
        await using (var context = database.CreateContext())
        {
            await context.Database.MigrateAsync();
        }

        // Two tasks any agent may claim and one agent, through the library before any writer holds the database.
        await using var services = database.Throwaway.CreateServices();
        await using var scope = services.CreateAsyncScope();
        var work = scope.ServiceProvider.GetRequiredService<IWorkItemService>();
        var project = await work.CreateProjectAsync(Fakes.Factory.Project());
        for (var i = 0; i < 2; i++)
        {
            await work.CreateWorkItemAsync(Fakes.Factory.Task(project.Id, configure: t => t.RequiredCapabilities = []));
        }

        var agent = await scope.ServiceProvider.GetRequiredService<IAgentRegistry>().RegisterAsync(Fakes.Factory.Agent());
        return (project, agent);
    }
}
