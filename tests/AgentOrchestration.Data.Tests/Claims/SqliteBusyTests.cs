using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Tests.Infrastructure;
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
        await using (var context = database.CreateContext())
        {
            await context.Database.MigrateAsync();
        }

        var project = Fakes.Project();
        var agent = Fakes.Agent();
        await using (var context = database.CreateContext())
        {
            context.AddRange(project, agent, Fakes.WorkItem(project));
            await context.SaveChangesAsync();
        }

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
            var timeout = Assert.ThrowsAsync<TimeoutException>(() => claimer.ClaimNextAsync(agent.Id, project.Id));
            Assert.That(timeout!.Message, Does.Contain(Path.GetFileName(database.ConnectionString.Split('=')[1])).And.Contain("2 s"));
            Assert.That(DateTime.UtcNow - started, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1.5)), "it waited for the writer first");

            await hold.RollbackAsync();
            Assert.That(await claimer.ClaimNextAsync(agent.Id, project.Id), Is.Not.Null, "and works once the writer is gone");
        }
    }
}
