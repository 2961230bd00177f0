using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Delegation;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace AgentOrchestration.Data.Tests.Claims;

/// <summary>
/// Interleavings pinned down by hand on PostgreSQL, where claims run concurrently (SQLite serializes every writer):
/// a claim that waited on a lock must still see what committed meanwhile.
/// </summary>
public sealed class ClaimRaceTests(DatabaseProvider provider) : ClaimFixture(provider, agentLimit: 1)
{
    [Test]
    public async Task A_claim_that_waited_for_another_claim_of_its_agent_respects_the_limit()
    {
        await AddItemAsync(1);
        await AddItemAsync(2);
        await using var scopeA = Services.CreateAsyncScope();
        var dbA = scopeA.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        await using var holdA = await dbA.Database.BeginTransactionAsync();
        var a = await scopeA.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimNextAsync(Agent.Id, Project.Id);
        Assert.That(a, Is.Not.Null);

        var b = Task.Run(async () =>
        {
            await using var scopeB = Services.CreateAsyncScope();
            return await scopeB.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimNextAsync(Agent.Id, Project.Id);
        });
        await Task.Delay(Provider == DatabaseProvider.PostgreSql ? 1000 : 100);
        await holdA.CommitAsync();

        Assert.That(await b, Is.Null, "the agent already holds its one task");
        await using var check = CreateContext();
        Assert.That(await check.TaskAssignments.CountAsync(t => t.AgentId == Agent.Id && t.Status == AssignmentStatus.Assigned), Is.EqualTo(1));
    }

    [Test]
    public async Task A_claim_racing_an_assign_and_a_cancel_never_reuses_a_fencing_token()
    {
        var item = await AddItemAsync(1);
        var other = await RegisterAgentAsync();

        if (Provider == DatabaseProvider.Sqlite)
        {
            // SQLite has one writer: the assign and cancel run in a host transaction the claim has to wait for.
            await using var host = Services.CreateAsyncScope();
            var hostDb = host.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
            await using var hostTransaction = await hostDb.Database.BeginTransactionAsync();
            var hostDelegation = host.ServiceProvider.GetRequiredService<IDelegationService>();
            await hostDelegation.AssignAsync(item.Id, Assignee.Agent(other.Id));
            await hostDelegation.CancelAsync(item.Id);
            var waiting = Task.Run(async () =>
            {
                await using var scope = Services.CreateAsyncScope();
                return await scope.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimNextAsync(Agent.Id, Project.Id);
            });
            await Task.Delay(300);
            await hostTransaction.CommitAsync();
            var afterHost = await waiting;
            Assert.That(afterHost?.Lease.FencingToken, Is.EqualTo(2), "the claim saw the committed assignment's token 1");
            return;
        }

        // Hold the agent's row so the claim starts, then waits, while the item is assigned and cancelled elsewhere.
        await using var blocker = new NpgsqlConnection(Database.ConnectionString);
        await blocker.OpenAsync();
        await using var blockTransaction = await blocker.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("SELECT 1 FROM agent_profiles WHERE id = @id FOR UPDATE", blocker, blockTransaction))
        {
            command.Parameters.AddWithValue("id", Agent.Id);
            await command.ExecuteNonQueryAsync();
        }

        var claim = Task.Run(async () =>
        {
            await using var scope = Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimNextAsync(Agent.Id, Project.Id);
        });
        await Task.Delay(1000);

        long otherToken;
        await using (var scope = Services.CreateAsyncScope())
        {
            var delegation = scope.ServiceProvider.GetRequiredService<IDelegationService>();
            await delegation.AssignAsync(item.Id, Assignee.Agent(other.Id));
            await using var db = CreateContext();
            otherToken = await db.TaskAssignments.Where(t => t.WorkItemId == item.Id).Select(t => t.FencingToken).SingleAsync();
            await delegation.CancelAsync(item.Id);
        }

        await blockTransaction.CommitAsync();
        var claimed = await claim;
        Assert.That(claimed, Is.Not.Null);
        Assert.That(claimed!.Lease.FencingToken, Is.GreaterThan(otherToken), "a new holder gets a token no earlier holder had");
    }
}
