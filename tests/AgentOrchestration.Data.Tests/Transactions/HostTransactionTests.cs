using System.Data;
using System.Data.Common;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Transactions;

/// <summary>
/// Library operations inside a transaction the caller opened on the library's context: a failure, refusal or retry
/// rolls back to the operation's savepoint and leaves the caller's transaction usable; PostgreSQL refuses isolation
/// levels under which lock-then-read cannot hold.
/// </summary>
public sealed class HostTransactionTests(DatabaseProvider provider) : OrchestrationFixture(provider)
{
    private FailingCommand failing = null!;
    private Project project = null!;
    private AgentProfile agent = null!;

    [SetUp]
    public async Task SeedAsync()
    {
        project = await CreateProjectAsync();
        agent = await RegisterAgentAsync();
        for (var i = 1; i <= 3; i++)
        {
            var priority = i;
            await CreateWorkAsync(project, configure: w => w.Priority = priority);
        }
    }

    /// <summary>The library registered the embedded way on the host's context, so a command can be made to fail.</summary>
    protected override ServiceProvider BuildServices()
    {
        failing = new FailingCommand();
        var collection = new ServiceCollection();
        collection.AddDbContext<AgentOrchestrationDbContext>(options =>
        {
            if (Provider == DatabaseProvider.Sqlite)
            {
                options.UseAgentOrchestrationSqlite(Database.ConnectionString);
            }
            else
            {
                options.UseAgentOrchestrationPostgreSql(Database.ConnectionString);
            }

            options.AddInterceptors(failing);
        });
        collection.AddAgentOrchestration(o => o.UseDbContext<AgentOrchestrationDbContext>().UseClock(Clock).ConfigureQa(p => p.RequireNone()));
        return collection.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
    }

    [Test]
    public async Task A_joined_lock_release_that_fails_half_way_leaves_the_callers_transaction_as_it_was()
    {
        var session = await InScopeAsync(s => s.GetRequiredService<ISessionService>()
            .StartAsync(Faker.Session(project.Id, agent.Id)));
        await InScopeAsync(s => s.GetRequiredService<IFileLockService>()
            .AcquireAsync(session.SessionId, ["src/a.cs", "src/b.cs"], FileLockType.Exclusive, TimeSpan.FromMinutes(10)));

        await using (var scope = Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync();
            var hostRow = Fakes.Project();
            db.Add(hostRow);
            await db.SaveChangesAsync();
            db.ChangeTracker.Clear();

            // The release deletes both rows, then fails writing the session's lock list: a real database error.
            failing.FailNext(sql => sql.Contains("file_locks", StringComparison.Ordinal) && sql.TrimStart().StartsWith("UPDATE", StringComparison.OrdinalIgnoreCase));
            Assert.ThrowsAsync(Is.InstanceOf<DbException>(), () => scope.ServiceProvider.GetRequiredService<IFileLockService>().ReleaseAllAsync(session.SessionId));
            Assert.That(failing.Failed, Is.EqualTo(1));

            // The caller's transaction goes on (on PostgreSQL it is not aborted) and sees none of the release.
            Assert.That(await db.FileLocks.CountAsync(l => l.LockedBySession == session.SessionId), Is.EqualTo(2));
            await transaction.CommitAsync();
        }

        await using var check = CreateContext();
        Assert.That(await check.Projects.CountAsync(), Is.EqualTo(2), "the caller's own write committed");
        Assert.That(await check.FileLocks.CountAsync(l => l.LockedBySession == session.SessionId), Is.EqualTo(2), "no lock was released");
        Assert.That(await check.Events.CountAsync(e => e.Type == OrchestrationEventTypes.FileLockReleased), Is.Zero);
        var stored = await check.AgentSessions.AsNoTracking().SingleAsync(s => s.SessionId == session.SessionId);
        Assert.That(stored.FileLocks!.Select(l => l.Path), Is.EquivalentTo(new[] { "src/a.cs", "src/b.cs" }));
    }

    [Test]
    public async Task A_racing_retry_inside_a_callers_transaction_returns_the_winner()
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            Assert.Ignore("A SQLite transaction holds the database's write lock: no claim can commit inside it, so nothing races.");
        }

        // Room for two: the retry is not simply held back by the limit, it would claim a second item under the same key.
        await using (var db = CreateContext())
        {
            await db.AgentProfiles.Where(a => a.Id == agent.Id).ExecuteUpdateAsync(u => u.SetProperty(a => a.MaxConcurrentTasks, 2));
        }

        var options = new ClaimOptions { IdempotencyKey = "retry-1" };
        await using var winnerScope = Services.CreateAsyncScope();
        var winnerDb = winnerScope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        await using var winnerTransaction = await winnerDb.Database.BeginTransactionAsync();
        var winner = await winnerScope.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimNextAsync(agent.Id, project.Id, options);
        Assert.That(winner, Is.Not.Null);

        await using var hostScope = Services.CreateAsyncScope();
        var hostDb = hostScope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        await using var hostTransaction = await hostDb.Database.BeginTransactionAsync();
        var retry = hostScope.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimNextAsync(agent.Id, project.Id, options);

        // The retry waits for the agent's row lock the winner holds, then the winner commits.
        await PostgresWaits.UntilBlockedAsync(Database);
        await winnerTransaction.CommitAsync();

        Assert.That(await retry, Is.EqualTo(winner), "the retry returns what the winner claimed");
        Assert.That(await hostDb.TaskAssignments.CountAsync(), Is.EqualTo(1), "the caller's transaction is still usable");
        await hostTransaction.CommitAsync();
        await using var check = CreateContext();
        Assert.That(await check.TaskAssignments.CountAsync(), Is.EqualTo(1));
    }

    [TestCase(IsolationLevel.RepeatableRead, "repeatable read")]
    [TestCase(IsolationLevel.Serializable, "serializable")]
    [TestCase(IsolationLevel.Unspecified, "repeatable read")]
    public async Task A_claim_in_a_snapshot_transaction_cannot_bypass_the_agents_limit(IsolationLevel level, string named)
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            Assert.Ignore("A SQLite transaction is serializable whatever level it names; see A_deferred_sqlite_transaction_that_read_first_cannot_bypass_the_agents_limit.");
        }

        await using var hostScope = Services.CreateAsyncScope();
        var hostDb = hostScope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        await using var hostTransaction = await hostDb.Database.BeginTransactionAsync(level);
        if (level == IsolationLevel.Unspecified)
        {
            // Set in SQL, where the driver cannot see it.
            await hostDb.Database.ExecuteSqlRawAsync("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
        }

        // The snapshot is taken here, before another claim of the agent (limit 1) commits.
        Assert.That(await hostDb.TaskAssignments.CountAsync(), Is.Zero);
        Assert.That(await InScopeAsync(s => s.GetRequiredService<IWorkClaimer>().ClaimNextAsync(agent.Id, project.Id)), Is.Not.Null);

        var claimer = hostScope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        var refused = Assert.ThrowsAsync<UnsupportedIsolationLevelException>(() => claimer.ClaimNextAsync(agent.Id, project.Id));
        Assert.That(refused!.IsolationLevel, Is.EqualTo(named));
        Assert.That(refused.Supported, Is.EqualTo(new[] { "read committed" }));
        Assert.That(refused.Message, Does.Contain(named));
        Assert.That(await hostDb.TaskAssignments.CountAsync(), Is.Zero, "the caller's transaction is still usable");
        await hostTransaction.CommitAsync();

        await using var check = CreateContext();
        Assert.That(await check.TaskAssignments.CountAsync(a => a.AgentId == agent.Id && a.Status == AssignmentStatus.Assigned), Is.EqualTo(1));
    }

    [Test]
    public async Task A_deferred_sqlite_transaction_that_read_first_cannot_bypass_the_agents_limit()
    {
        if (Provider == DatabaseProvider.PostgreSql)
        {
            Assert.Ignore("PostgreSQL snapshot levels are refused up front: see A_claim_in_a_snapshot_transaction_cannot_bypass_the_agents_limit.");
        }

        await using var hostScope = Services.CreateAsyncScope();
        var hostDb = hostScope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        await hostDb.Database.OpenConnectionAsync();
        var connection = (Microsoft.Data.Sqlite.SqliteConnection)hostDb.Database.GetDbConnection();
        await using var deferred = connection.BeginTransaction(deferred: true);
        await hostDb.Database.UseTransactionAsync(deferred);

        // The deferred transaction's snapshot is taken by this read, before another claim of the agent (limit 1) commits.
        Assert.That(await hostDb.TaskAssignments.CountAsync(), Is.Zero);
        Assert.That(await InScopeAsync(s => s.GetRequiredService<IWorkClaimer>().ClaimNextAsync(agent.Id, project.Id)), Is.Not.Null);

        var claimer = hostScope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        var refused = Assert.ThrowsAsync<UnsupportedIsolationLevelException>(() => claimer.ClaimNextAsync(agent.Id, project.Id));
        Assert.That(refused!.IsolationLevel, Does.StartWith("deferred"));
        Assert.That(await hostDb.TaskAssignments.CountAsync(), Is.Zero, "the caller's transaction is still usable");
        await deferred.RollbackAsync();

        await using var check = CreateContext();
        Assert.That(await check.TaskAssignments.CountAsync(a => a.AgentId == agent.Id && a.Status == AssignmentStatus.Assigned), Is.EqualTo(1));
    }

    private async Task<T> InScopeAsync<T>(Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider);
    }
}
