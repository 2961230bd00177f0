using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AgentOrchestration.Data.Tests.Transactions;

/// <summary>
/// Claims, completions and renewals outside a caller's transaction, on a PostgreSQL database whose
/// <c>default_transaction_isolation</c> is stricter than READ COMMITTED: the one-round-trip statements still run at
/// READ COMMITTED, so concurrent claimers neither fail with serialization errors nor break the agent's limit.
/// </summary>
public sealed class SessionDefaultIsolationTests(DatabaseProvider provider) : OrchestrationFixture(provider)
{
    [SetUp]
    public async Task SetDatabaseDefaultAsync()
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            Assert.Ignore("SQLite has no isolation setting: a write transaction holds the database's write lock.");
        }
    }

    private async Task UseDefaultAsync(string level)
    {
        await using (var db = CreateContext())
        {
            var name = db.Database.GetDbConnection().Database;
            await db.Database.ExecuteSqlRawAsync($"ALTER DATABASE \"{name}\" SET default_transaction_isolation = '{level}'");
        }

        // The setting applies to sessions started after it: every physical connection from here on.
        NpgsqlConnection.ClearAllPools();
        await using var check = CreateContext();
        Assert.That(await RawSql.ScalarAsync(check, "SHOW default_transaction_isolation"), Is.EqualTo(level));
    }

    [TestCase("repeatable read")]
    [TestCase("serializable")]
    public async Task Concurrent_claimers_and_completions_claim_each_item_once_without_serialization_failures(string level)
    {
        const int Items = 120;
        var project = await CreateProjectAsync();
        var agents = new List<AgentProfile>();
        for (var i = 0; i < 6; i++)
        {
            agents.Add(await RegisterAgentAsync(maxConcurrentTasks: 1000));
        }

        for (var i = 0; i < Items; i++)
        {
            await CreateWorkAsync(project);
        }

        await UseDefaultAsync(level);
        var failures = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        var claimed = await Task.WhenAll(agents.Select(agent => Task.Run(async () =>
        {
            var mine = new List<Guid>();
            await using var scope = Services.CreateAsyncScope();
            var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
            while (true)
            {
                try
                {
                    if (await claimer.ClaimNextAsync(agent.Id, project.Id) is not { } work)
                    {
                        return mine;
                    }

                    mine.Add(work.Lease.WorkItemId);
                    await claimer.RenewAsync(work.Lease);
                }
                catch (Exception e) when (e is not AssertionException)
                {
                    failures.Add(e);
                    if (failures.Count > 50)
                    {
                        return mine;
                    }
                }
            }
        })));

        Assert.That(failures.Select(f => f.GetType().Name + ": " + f.Message).Distinct(), Is.Empty, "no claim or renewal failed");
        var all = claimed.SelectMany(c => c).ToList();
        Assert.That(all, Is.Unique, "no item claimed twice");
        Assert.That(all, Has.Count.EqualTo(Items));
        await using var db = CreateContext();
        Assert.That(await db.TaskAssignments.CountAsync(), Is.EqualTo(Items));
    }

    [TestCase("repeatable read")]
    [TestCase("serializable")]
    public async Task Concurrent_claims_of_one_agent_keep_its_limit(string level)
    {
        var project = await CreateProjectAsync();
        var agent = await RegisterAgentAsync(maxConcurrentTasks: 2);
        for (var i = 0; i < 40; i++)
        {
            await CreateWorkAsync(project);
        }

        await UseDefaultAsync(level);
        var failures = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        for (var round = 0; round < 5; round++)
        {
            var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
            {
                await using var scope = Services.CreateAsyncScope();
                try
                {
                    return await scope.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimNextAsync(agent.Id, project.Id);
                }
                catch (Exception e) when (e is not AssertionException)
                {
                    failures.Add(e);
                    return null;
                }
            })));

            Assert.That(results.Count(r => r is not null), Is.EqualTo(2), $"round {round}: the agent's limit of 2 holds");
            await using var scope = Services.CreateAsyncScope();
            var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
            foreach (var work in results.OfType<ClaimedWork>())
            {
                await claimer.ReleaseAsync(work.Lease);
            }
        }

        Assert.That(failures.Select(f => f.GetType().Name + ": " + f.Message).Distinct(), Is.Empty, "no claim failed");
    }

    /// <summary>
    /// File locks are decided after a per-project advisory lock, which no write conflict backs: a statement reading a
    /// snapshot from before that wait would miss the lock another session just committed.
    /// </summary>
    [TestCase("repeatable read")]
    [TestCase("serializable")]
    public async Task Concurrent_overlapping_file_locks_are_granted_to_one_session(string level)
    {
        var project = await CreateProjectAsync();
        var agent = await RegisterAgentAsync(maxConcurrentTasks: 10);
        var sessions = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            sessions.Add((await StartSessionAsync(project, agent.Id)).SessionId);
        }

        await UseDefaultAsync(level);
        var failures = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        for (var round = 0; round < 10; round++)
        {
            var granted = await Task.WhenAll(sessions.Select((session, index) => Task.Run(async () =>
            {
                await using var scope = Services.CreateAsyncScope();
                try
                {
                    string[] paths = index % 2 == 0 ? [$"r{round}/**"] : [$"r{round}/file-{index}.cs"];
                    await scope.ServiceProvider.GetRequiredService<IFileLockService>().AcquireAsync(session, paths, FileLockType.Exclusive, TimeSpan.FromHours(1));
                    return true;
                }
                catch (FileLockConflictException)
                {
                    return false;
                }
                catch (Exception e) when (e is not AssertionException)
                {
                    failures.Add(e);
                    return false;
                }
            })));

            var held = granted.Select((g, i) => (g, i)).Where(x => x.g).Select(x => x.i).ToList();
            Assert.That(held.Count(i => i % 2 == 0), Is.AtMost(1), $"round {round}: one session holds r{round}/**");
            Assert.That(held.Any(i => i % 2 == 0) && held.Any(i => i % 2 == 1), Is.False, $"round {round}: r{round}/** and a file under it are never both held ({string.Join(", ", held)})");
        }

        Assert.That(failures.Select(f => f.GetType().Name + ": " + f.Message).Distinct(), Is.Empty, "no acquisition failed");
    }
}
