using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Claims;

/// <summary>
/// An idempotency key names one request of one agent: a retry of it returns the first claim, the same key for a
/// different request is refused with a typed exception, and keys compare byte for byte, on each provider.
/// </summary>
public sealed class IdempotencyKeyTests(DatabaseProvider provider) : ClaimFixture(provider, agentLimit: 10)
{
    [Test]
    public async Task A_key_reused_in_another_project_is_refused_and_claims_nothing_there()
    {
        await AddItemAsync(priority: 1);
        var other = await AddProjectWithItemAsync();
        var first = await ClaimerAsync(c => c.ClaimNextAsync(Agent.Id, Project.Id, new ClaimOptions { IdempotencyKey = "job-1" }));
        Assert.That(first, Is.Not.Null);

        var refused = Assert.ThrowsAsync<IdempotencyKeyReusedException>(() =>
            ClaimerAsync(c => c.ClaimNextAsync(Agent.Id, other.Id, new ClaimOptions { IdempotencyKey = "job-1" })));
        Assert.That(refused!.IdempotencyKey, Is.EqualTo("job-1"));
        Assert.That(refused.AgentId, Is.EqualTo(Agent.Id));
        Assert.That(refused.Differences, Is.EqualTo(new[] { $"project: first '{Project.Id}', now '{other.Id}'" }));
        Assert.That(refused.Message, Does.Contain("job-1").And.Contain(other.Id.ToString()));

        await using var db = CreateContext();
        Assert.That(await db.TaskAssignments.CountAsync(), Is.EqualTo(1), "nothing was claimed in the other project");
        Assert.That(await db.WorkItems.CountAsync(w => w.ProjectId == other.Id && w.DelegationStatus == DelegationStatus.Unassigned), Is.EqualTo(1));
    }

    [Test]
    public async Task A_key_reused_with_another_lease_or_session_or_item_count_is_refused_naming_what_differs()
    {
        for (var i = 0; i < 4; i++)
        {
            await AddItemAsync(priority: i % 5 + 1);
        }

        var session = await StartSessionAsync();
        var first = await ClaimerAsync(c => c.ClaimNextAsync(Agent.Id, Project.Id, new ClaimOptions { IdempotencyKey = "single", LeaseDuration = TimeSpan.FromMinutes(5) }));
        var batch = await ClaimerAsync(c => c.ClaimBatchAsync(Agent.Id, Project.Id, 2, new ClaimOptions { IdempotencyKey = "batch" }));
        Assert.That(first, Is.Not.Null);
        Assert.That(batch, Has.Count.EqualTo(2));

        Assert.That(DifferencesOf(() => ClaimerAsync(c => c.ClaimNextAsync(Agent.Id, Project.Id, new ClaimOptions { IdempotencyKey = "single", LeaseDuration = TimeSpan.FromMinutes(10) }))),
            Is.EqualTo(new[] { "lease duration: first 00:05:00, now 00:10:00" }));
        Assert.That(DifferencesOf(() => ClaimerAsync(c => c.ClaimNextAsync(Agent.Id, Project.Id, new ClaimOptions { IdempotencyKey = "single", SessionId = session }))),
            Is.EqualTo(new[] { $"session: first none, now '{session}'" }));
        Assert.That(DifferencesOf(() => ClaimerAsync(c => c.ClaimNextAsync(Agent.Id, Project.Id, new ClaimOptions { IdempotencyKey = "batch" }))),
            Is.EqualTo(new[] { "items: first at most 2, now at most 1" }), "a batch key reused by a single claim");
        Assert.That(DifferencesOf(() => ClaimerAsync(c => c.ClaimBatchAsync(Agent.Id, Project.Id, 3, new ClaimOptions { IdempotencyKey = "single" }))),
            Is.EqualTo(new[] { "items: first at most 1, now at most 3" }), "a single key reused by a batch");

        // The same requests again are retries: they return the first claims.
        Assert.That(await ClaimerAsync(c => c.ClaimNextAsync(Agent.Id, Project.Id, new ClaimOptions { IdempotencyKey = "single", LeaseDuration = TimeSpan.FromMinutes(5) })), Is.EqualTo(first));
        Assert.That(await ClaimerAsync(c => c.ClaimBatchAsync(Agent.Id, Project.Id, 2, new ClaimOptions { IdempotencyKey = "batch" })), Is.EqualTo(batch));
        await using var db = CreateContext();
        Assert.That(await db.TaskAssignments.CountAsync(), Is.EqualTo(3), "no refused request claimed anything");
    }

    [Test]
    public async Task The_lookup_of_a_keys_earlier_claims_searches_the_key_index()
    {
        if (Provider == DatabaseProvider.PostgreSql)
        {
            Assert.Ignore("PostgreSQL's planner proves a partial index's predicate from the key tests themselves; SQLite needs it stated.");
        }

        await AddItemAsync(priority: 1);
        await ClaimerAsync(c => c.ClaimNextAsync(Agent.Id, Project.Id, new ClaimOptions { IdempotencyKey = "run-1" }));

        var log = new CommandLog();
        await using var db = new AgentOrchestrationDbContext(Database.Options<AgentOrchestrationDbContext>(o => o.AddInterceptors(log)));
        await db.Database.OpenConnectionAsync();
        Assert.That(await ClaimIdempotency.FindAsync(db, Agent.Id, "run-1", CancellationToken.None), Has.Count.EqualTo(1));

        // The key index holds only assignments with a key (PartialForeignKeyIndexes): read without it, the lookup would
        // go through every assignment of the agent, row by row.
        var (sql, parameters) = log.CommandsWithParameters.Single();
        var connection = db.Database.GetDbConnection();
        await using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = explain.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            explain.Parameters.Add(parameter);
        }

        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(reader.FieldCount - 1));
            }
        }

        Assert.That(plan, Has.Some.Contains("INDEX ux_task_assignments_agent_idempotency_key"), string.Join("\n", plan));
    }

    [Test]
    public async Task Keys_that_differ_only_in_case_are_different_keys()
    {
        for (var i = 0; i < 5; i++)
        {
            await AddItemAsync(priority: i + 1);
        }

        var upper = await ClaimerAsync(c => c.ClaimBatchAsync(Agent.Id, Project.Id, 2, new ClaimOptions { IdempotencyKey = "Job_1" }));
        var lower = await ClaimerAsync(c => c.ClaimBatchAsync(Agent.Id, Project.Id, 2, new ClaimOptions { IdempotencyKey = "job_1" }));
        var single = await ClaimerAsync(c => c.ClaimNextAsync(Agent.Id, Project.Id, new ClaimOptions { IdempotencyKey = "JOB_1" }));

        Assert.That(upper, Has.Count.EqualTo(2));
        Assert.That(lower, Has.Count.EqualTo(2));
        Assert.That(lower.Select(c => c.Lease.WorkItemId), Has.None.AnyOf(upper.Select(c => c.Lease.WorkItemId).ToArray()), "job_1 claims anew instead of replaying Job_1");
        Assert.That(single, Is.Not.Null);
        Assert.That(upper.Concat(lower).Select(c => c.Lease.WorkItemId), Has.None.EqualTo(single!.Lease.WorkItemId), "JOB_1 is a third key");
        Assert.That(await ClaimerAsync(c => c.ClaimBatchAsync(Agent.Id, Project.Id, 2, new ClaimOptions { IdempotencyKey = "job_1" })), Is.EqualTo(lower), "and each replays its own");
        await using var db = CreateContext();
        Assert.That(await db.TaskAssignments.CountAsync(), Is.EqualTo(5));
    }

    [Test]
    public async Task Concurrent_claims_with_one_key_for_different_requests_claim_once_and_refuse_the_rest()
    {
        for (var i = 0; i < 6; i++)
        {
            await AddItemAsync(priority: i % 5 + 1);
        }

        var other = await AddProjectWithItemAsync();

        // Eight callers at once, half a single claim, half a batch (and one in another project): exactly one request
        // wins; every other caller either replays it (same request) or is refused by name, never a raw provider error.
        var attempts = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            try
            {
                return (IReadOnlyList<ClaimedWork>?)await ClaimerAsync(c => i switch
                {
                    7 => c.ClaimBatchAsync(Agent.Id, other.Id, 1, new ClaimOptions { IdempotencyKey = "shared" }),
                    _ when i % 2 == 0 => c.ClaimBatchAsync(Agent.Id, Project.Id, 1, new ClaimOptions { IdempotencyKey = "shared" }),
                    _ => c.ClaimBatchAsync(Agent.Id, Project.Id, 3, new ClaimOptions { IdempotencyKey = "shared" }),
                });
            }
            catch (IdempotencyKeyReusedException)
            {
                return null;
            }
        })).ToList();
        var results = await Task.WhenAll(attempts);

        var winners = results.Where(r => r is not null).Select(r => r!.Select(w => w.Lease.AssignmentId).Order().ToList()).ToList();
        Assert.That(winners, Is.Not.Empty);
        Assert.That(winners.Select(w => string.Join(",", w)).Distinct().Count(), Is.EqualTo(1), "every caller that got claims got the one winning claim");
        await using var db = CreateContext();
        var keyed = await db.TaskAssignments.Where(t => t.IdempotencyKey != null).Select(t => t.Id).ToListAsync();
        Assert.That(keyed, Is.EquivalentTo(winners[0]), "only the winning request stored assignments under the key");
    }

    private static IReadOnlyList<string> DifferencesOf(AsyncTestDelegate claim) =>
        Assert.ThrowsAsync<IdempotencyKeyReusedException>(claim)!.Differences;

    private async Task<T> ClaimerAsync<T>(Func<IWorkClaimer, Task<T>> claim)
    {
        await using var scope = Services.CreateAsyncScope();
        return await claim(scope.ServiceProvider.GetRequiredService<IWorkClaimer>());
    }

    private async Task<Project> AddProjectWithItemAsync()
    {
        var project = await CreateProjectAsync();
        await CreateWorkAsync(project);
        return project;
    }

    private async Task<string> StartSessionAsync() => (await StartSessionAsync(Project, Agent.Id)).SessionId;
}
