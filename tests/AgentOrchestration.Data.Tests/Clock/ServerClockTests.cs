using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Clock;

/// <summary>
/// Machines sharing one PostgreSQL database, whose clocks differ: each is a service provider in the default clock mode
/// whose registered <see cref="TimeProvider"/> (its machine's clock) runs ahead or behind. Every expiry is decided and
/// stored by the server's clock, so none of them can take what is live or keep alive what has expired.
/// </summary>
public sealed class ServerClockTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(60);

    private readonly List<ServiceProvider> machines = [];
    private Project project = null!;

    protected override bool StartsMigrated => true;

    [SetUp]
    public async Task SeedAsync()
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            Assert.Ignore("SQLite runs on one machine: that machine's clock decides, and there is no server clock to judge by.");
        }

        await using (await MigratedContextAsync())
        {
        }

        project = await With<IWorkItemService, Project>(Machine(0), w => w.CreateProjectAsync(Fakes.Factory.Project()));
    }

    [TearDown]
    public async Task DisposeMachinesAsync()
    {
        foreach (var machine in machines)
        {
            await machine.DisposeAsync();
        }

        machines.Clear();
    }

    [TestCase(0, 70, TestName = "A machine 70 s fast cannot take a file lock over a live one")]
    [TestCase(-150, 0, TestName = "A live file lock taken by a machine 150 s slow holds")]
    [TestCase(-150, 70, TestName = "A machine 70 s fast cannot take a file lock over one taken 150 s slow")]
    public async Task File_locks(int holderSkew, int contenderSkew)
    {
        var holder = Machine(holderSkew);
        var contender = Machine(contenderSkew);
        var holding = await StartSessionAsync(holder);
        var contending = await StartSessionAsync(contender);

        var before = await ServerNowAsync();
        var held = await With<IFileLockService, IReadOnlyList<FileLockInfo>>(holder, l => l.AcquireAsync(holding.SessionId, ["src/a.cs"], FileLockType.Exclusive, Ttl));
        var after = await ServerNowAsync();
        Assert.That(held.Single().ExpiresAt, Is.InRange(before + Ttl, after + Ttl), "the expiry is the server's time plus the TTL");

        Assert.ThrowsAsync<FileLockConflictException>(() => With<IFileLockService, IReadOnlyList<FileLockInfo>>(contender, l => l.AcquireAsync(contending.SessionId, ["src/**"], FileLockType.Exclusive, Ttl)));
        var check = await With<IFileLockService, FileWriteCheck>(contender, l => l.CheckWriteAsync(contending.SessionId, ["src/a.cs"]));
        Assert.That(check.Blocking, Has.Count.EqualTo(1), "the write check sees the live lock");
        var listed = await With<IFileLockService, IReadOnlyList<FileLockInfo>>(contender, l => l.GetLocksAsync(project.Id));
        Assert.That(listed.Select(l => l.Path), Is.EqualTo(new[] { "src/a.cs" }));
    }

    [TestCase(0, 150, TestName = "A reaper 150 s fast does not reap a session that just sent a heartbeat")]
    [TestCase(-150, 0, TestName = "A session heartbeating from a machine 150 s slow is not reaped")]
    [TestCase(-150, 70, TestName = "A reaper 70 s fast does not reap a session heartbeating 150 s slow")]
    public async Task Heartbeats_and_the_reaper(int holderSkew, int reaperSkew)
    {
        var holder = Machine(holderSkew);
        var reaper = Machine(reaperSkew);
        var session = await StartSessionAsync(holder);

        var before = await ServerNowAsync();
        var beat = await With<ISessionService, AgentSession>(holder, s => s.HeartbeatAsync(session.SessionId));
        var after = await ServerNowAsync();
        Assert.That(beat.LastHeartbeatAt, Is.InRange(before, after), "the heartbeat is stamped by the server's clock");

        var reaped = await With<ISessionReaper, SessionReapResult>(reaper, r => r.ReapAsync(TimeSpan.FromMinutes(2)));
        Assert.That(reaped.SessionIds, Is.Empty);
        var stored = await With<ISessionService, AgentSession?>(reaper, s => s.GetAsync(session.SessionId));
        Assert.That(stored!.Status, Is.EqualTo(SessionStatus.Active));
    }

    [TestCase(0, 70, TestName = "A machine 70 s fast cannot claim a live lease")]
    [TestCase(-150, 0, TestName = "A lease claimed by a machine 150 s slow holds")]
    [TestCase(-150, 70, TestName = "A machine 70 s fast cannot claim a lease taken 150 s slow")]
    public async Task Leases(int holderSkew, int contenderSkew)
    {
        var holder = Machine(holderSkew);
        var contender = Machine(contenderSkew);
        var item = await AddItemAsync();
        var (first, second) = (await AddAgentAsync(), await AddAgentAsync());

        var before = await ServerNowAsync();
        var held = await With<IWorkClaimer, ClaimedWork?>(holder, c => c.ClaimNextAsync(first.Id, project.Id, new ClaimOptions { LeaseDuration = Ttl }));
        var after = await ServerNowAsync();
        Assert.That(held?.Lease.WorkItemId, Is.EqualTo(item.Id));
        Assert.That(held!.LeaseExpiresAt, Is.InRange(before + Ttl, after + Ttl), "the lease is the server's time plus its duration");
        await using (var db = CreateContext())
        {
            var stored = await db.TaskAssignments.AsNoTracking().SingleAsync(t => t.Id == held.Lease.AssignmentId);
            Assert.That(stored.LeaseExpiresAt, Is.EqualTo(held.LeaseExpiresAt), "what the claim returned is what it stored");
        }

        Assert.That(await With<IWorkClaimer, ClaimedWork?>(contender, c => c.ClaimNextAsync(second.Id, project.Id)), Is.Null, "the lease is live");

        // Renewal and completion are judged by the server's clock too, from either machine.
        var renewed = await With<IWorkClaimer, ClaimedWork>(contender, c => c.RenewAsync(held.Lease, Ttl));
        Assert.That(renewed.LeaseExpiresAt, Is.GreaterThanOrEqualTo(held.LeaseExpiresAt));
        await With<IWorkClaimer, bool>(holder, async c =>
        {
            await c.CompleteAsync(held.Lease);
            return true;
        });
    }

    [Test]
    public async Task A_machine_150_s_slow_sees_an_expired_lease_and_lock_as_expired()
    {
        var fast = Machine(70);
        var slow = Machine(-150);
        await AddItemAsync();
        var (first, second) = (await AddAgentAsync(), await AddAgentAsync());
        var held = await With<IWorkClaimer, ClaimedWork?>(fast, c => c.ClaimNextAsync(first.Id, project.Id, new ClaimOptions { LeaseDuration = TimeSpan.FromSeconds(1) }));
        var holding = await StartSessionAsync(fast);
        var contending = await StartSessionAsync(slow);
        var locked = await With<IFileLockService, IReadOnlyList<FileLockInfo>>(fast, l => l.AcquireAsync(holding.SessionId, ["src/a.cs"], FileLockType.Exclusive, TimeSpan.FromSeconds(1)));

        // Real time passes on the server: both have expired there, though the slow machine's clock is far from it.
        var latest = held!.LeaseExpiresAt > locked.Single().ExpiresAt!.Value ? held.LeaseExpiresAt : locked.Single().ExpiresAt!.Value;
        while (await ServerNowAsync() <= latest)
        {
            await Task.Delay(100);
        }

        var taken = await With<IWorkClaimer, ClaimedWork?>(slow, c => c.ClaimNextAsync(second.Id, project.Id));
        Assert.That(taken?.Lease.FencingToken, Is.EqualTo(2), "the expired lease was claimable");
        Assert.ThrowsAsync<LeaseLostException>(() => With<IWorkClaimer, ClaimedWork>(fast, c => c.RenewAsync(held.Lease)));
        var granted = await With<IFileLockService, IReadOnlyList<FileLockInfo>>(slow, l => l.AcquireAsync(contending.SessionId, ["src/**"], FileLockType.Exclusive, Ttl));
        Assert.That(granted.Single().Path, Is.EqualTo("src/**"), "the expired lock did not block");
    }

    /// <summary>A machine whose clock is <paramref name="skewSeconds"/> off: its registered clock, in the default clock mode.</summary>
    private ServiceProvider Machine(int skewSeconds)
    {
        var machine = OrchestrationServices.Create(
            Database,
            before: s => s.AddSingleton<TimeProvider>(new SkewedClock(TimeSpan.FromSeconds(skewSeconds))),
            configure: OrchestrationServices.WithoutQaGate);
        machines.Add(machine);
        return machine;
    }

    private async Task<DateTimeOffset> ServerNowAsync()
    {
        await using var db = CreateContext();
        var now = (DateTime)(await RawSql.ScalarAsync(db, "SELECT clock_timestamp()"))!;
        return new DateTimeOffset(DateTime.SpecifyKind(now, DateTimeKind.Utc));
    }

    private Task<AgentSession> StartSessionAsync(ServiceProvider machine) =>
        With<ISessionService, AgentSession>(machine, s => s.StartAsync(Fakes.Factory.Session(project.Id)));

    /// <summary>Adds a task any agent may claim, through the first machine (which one writes it does not matter).</summary>
    private Task<WorkItem> AddItemAsync() =>
        With<IWorkItemService, WorkItem>(machines[0], w => w.CreateWorkItemAsync(Fakes.Factory.Task(project.Id, configure: t => t.RequiredCapabilities = [])));

    private Task<AgentProfile> AddAgentAsync() => With<IAgentRegistry, AgentProfile>(machines[0], r => r.RegisterAsync(Fakes.Factory.Agent()));

    private static async Task<T> With<TService, T>(ServiceProvider machine, Func<TService, Task<T>> call)
        where TService : notnull
    {
        await using var scope = machine.CreateAsyncScope();
        return await call(scope.ServiceProvider.GetRequiredService<TService>());
    }

    /// <summary>The system clock, off by a fixed amount, as on a machine whose clock drifted.</summary>
    private sealed class SkewedClock(TimeSpan skew) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + skew;
    }
}
