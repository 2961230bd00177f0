using System.Globalization;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AgentOrchestration.Data.Tests.Claims;

/// <summary>
/// A claim of lapsed work racing the holder's renewal: whatever the interleaving, a renewal that returned success keeps
/// its item, and a claim never leaves the old holder's assignment active beside its own.
/// </summary>
public sealed class ClaimRenewalRaceTests(DatabaseProvider provider) : ClaimFixture(provider, agentLimit: 1)
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    [Test]
    public async Task A_claim_running_while_a_renewal_commits_does_not_take_the_renewed_item()
    {
        var item = await AddItemAsync(1);
        var rival = await AddRivalAsync();
        var session = await WithAsync<ISessionService, AgentSession>(s => s.StartAsync(new SessionStart(Project.Id, SessionAgentType.Implementation) { AgentId = Agent.Id }));
        var held = await WithAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(Agent.Id, Project.Id, new ClaimOptions { SessionId = session.SessionId, LeaseDuration = Lease }));
        Assert.That(held?.Lease.WorkItemId, Is.EqualTo(item.Id));

        // The holder renews (a heartbeat renews the leases of its session) a minute before its lease runs out. Its
        // transaction is held open: it has renewed the assignment's row but not yet committed.
        Clock.Advance(Lease - TimeSpan.FromMinutes(1));
        await using var renewer = Services.CreateAsyncScope();
        var renewerDb = renewer.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        await using var renewal = await renewerDb.Database.BeginTransactionAsync();
        await renewer.ServiceProvider.GetRequiredService<ISessionService>().HeartbeatAsync(session.SessionId, leaseDuration: Lease);

        // The rival claims with a clock past the old expiry (before the new one), while the renewal is uncommitted:
        // its statement sees the old, expired lease. The renewal commits while the claim runs.
        Clock.Advance(TimeSpan.FromMinutes(2));
        var claim = Task.Run(() => WithAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(rival.Id, Project.Id)));
        await UntilDoneOrWaitingAsync(claim);
        await renewal.CommitAsync();

        Assert.That(await claim, Is.Null, "the lease was renewed: nothing of the project is claimable");
        await using var db = CreateContext();
        var assignments = await db.TaskAssignments.AsNoTracking().Where(t => t.WorkItemId == item.Id).ToListAsync();
        var current = await db.WorkItems.AsNoTracking().Where(w => w.Id == item.Id).Select(w => w.CurrentAssignmentId).SingleAsync();
        Assert.Multiple(() =>
        {
            Assert.That(assignments, Has.Count.EqualTo(1), "no second assignment was made");
            Assert.That(current, Is.EqualTo(held!.Lease.AssignmentId), "the item stays with its holder");
            Assert.That(assignments[0].Status, Is.EqualTo(AssignmentStatus.Assigned));
            Assert.That(assignments[0].LeaseExpiresAt, Is.EqualTo(Clock.GetUtcNow() - TimeSpan.FromMinutes(2) + Lease), "the renewed expiry");
        });

        // And the holder goes on holding it: its next renewal and its completion are accepted.
        var renewed = await WithAsync<IWorkClaimer, ClaimedWork>(c => c.RenewAsync(held!.Lease, Lease));
        Assert.That(renewed.LeaseExpiresAt, Is.EqualTo(Clock.GetUtcNow() + Lease));
        await WithAsync<IWorkClaimer, bool>(async c =>
        {
            await c.CompleteAsync(held!.Lease);
            return true;
        });
    }

    [Test]
    public async Task A_renewal_racing_a_claim_past_the_old_expiry_has_exactly_one_winner()
    {
        var rival = await AddRivalAsync();

        // The rival's machine reads a later time than the holder's: past the old expiry, before the renewed one. Whichever
        // of the renewal and the claim commits first wins; the other must see it.
        var late = new FakeTimeProvider(Clock.GetUtcNow());
        await using var rivalServices = OrchestrationServices.Create(Database, late, configure: OrchestrationServices.WithoutQaGate);
        for (var round = 0; round < 20; round++)
        {
            var item = await AddItemAsync(1);
            var held = (await WithAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(Agent.Id, Project.Id, new ClaimOptions { LeaseDuration = Lease })))!;
            late.SetUtcNow(Clock.GetUtcNow() + Lease + TimeSpan.FromMinutes(1));
            Clock.Advance(Lease - TimeSpan.FromMinutes(1));

            using var start = new ManualResetEventSlim();
            var renew = Task.Run(async () =>
            {
                start.Wait();
                try
                {
                    await WithAsync<IWorkClaimer, ClaimedWork>(c => c.RenewAsync(held.Lease, Lease));
                    return true;
                }
                catch (LeaseLostException)
                {
                    return false;
                }
            });
            var claim = Task.Run(async () =>
            {
                start.Wait();
                await using var scope = rivalServices.CreateAsyncScope();
                return await scope.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimNextAsync(rival.Id, Project.Id);
            });
            start.Set();
            var (renewed, taken) = (await renew, await claim);

            Assert.That(renewed, Is.Not.EqualTo(taken is not null), $"round {round}: exactly one of the renewal and the claim wins");
            await using (var db = CreateContext())
            {
                var active = await db.TaskAssignments.AsNoTracking().CountAsync(t => t.WorkItemId == item.Id
                    && (t.Status == AssignmentStatus.Assigned || t.Status == AssignmentStatus.Started || t.Status == AssignmentStatus.Paused));
                Assert.That(active, Is.EqualTo(1), $"round {round}: one active assignment");
            }

            if (renewed)
            {
                await WithAsync<IWorkClaimer, bool>(async c =>
                {
                    await c.CompleteAsync(held.Lease);
                    return true;
                });
            }
            else
            {
                await using var scope = rivalServices.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<IWorkClaimer>().CompleteAsync(taken!.Lease);
            }

            Clock.Advance(TimeSpan.FromMinutes(10));
        }
    }

    [Test]
    public async Task A_claim_of_a_lapsed_lease_ends_the_old_assignment()
    {
        var item = await AddItemAsync(1);
        var rival = await AddRivalAsync();
        var held = await WithAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(Agent.Id, Project.Id, new ClaimOptions { LeaseDuration = Lease }));
        Clock.Advance(Lease);

        var taken = await WithAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(rival.Id, Project.Id));
        Assert.That(taken?.Lease.WorkItemId, Is.EqualTo(item.Id));
        Assert.That(taken!.Lease.FencingToken, Is.EqualTo(2));
        await using var db = CreateContext();
        var old = await db.TaskAssignments.AsNoTracking().SingleAsync(t => t.Id == held!.Lease.AssignmentId);
        Assert.Multiple(() =>
        {
            Assert.That(old.Status, Is.EqualTo(AssignmentStatus.Cancelled), "the lapsed holder's assignment ended with the claim");
            Assert.That(old.LeaseExpiresAt, Is.Null);
        });
        Assert.That(async () => await WithAsync<IWorkClaimer, ClaimedWork>(c => c.RenewAsync(held!.Lease)), Throws.TypeOf<LeaseLostException>());
    }

    /// <summary>
    /// Waits until the claim has finished or (PostgreSQL) waits on a row lock; SQLite has one writer, so there the claim
    /// waits for the renewal's write lock, given time to start.
    /// </summary>
    private async Task UntilDoneOrWaitingAsync(Task claim)
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            await Task.WhenAny(claim, Task.Delay(300));
            return;
        }

        await using var probe = CreateContext();
        for (var i = 0; i < 400 && !claim.IsCompleted; i++)
        {
            var waiting = Convert.ToInt64(await RawSql.ScalarAsync(probe,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"), CultureInfo.InvariantCulture);
            if (waiting > 0)
            {
                return;
            }

            await Task.Delay(25);
        }
    }

    private Task<AgentProfile> AddRivalAsync() => RegisterAgentAsync();

    private async Task<T> WithAsync<TService, T>(Func<TService, Task<T>> call)
        where TService : notnull
    {
        await using var scope = Services.CreateAsyncScope();
        return await call(scope.ServiceProvider.GetRequiredService<TService>());
    }
}
