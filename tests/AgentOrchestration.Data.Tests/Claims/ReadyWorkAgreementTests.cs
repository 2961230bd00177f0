using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Validation;
using AgentOrchestration.Data.Work;
using Bogus;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AgentOrchestration.Data.Tests.Claims;

/// <summary>
/// The forms of "ready work" and of "a session may implement this" agree (<see cref="ReadyWorkRule"/>,
/// <see cref="ImplementingSession"/>): in random worlds, the LINQ ready-work query, the LINQ claim rule (run by EF Core on the
/// provider) and the provider's claim (on PostgreSQL, the claim statement's own SQL) find the same items ready, claim them in
/// the same order, and accept and refuse the same sessions. Each failure names its seed and step; the same seed rebuilds
/// the same world.
/// </summary>
public sealed class ReadyWorkAgreementTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    // Few capabilities, so agents and items overlap in every way: none, some, all.
    private static readonly string[] Pool = ["csharp", "sql", "typescript"];
    private static readonly TimeSpan Short = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Long = TimeSpan.FromDays(1);

    private FakeTimeProvider clock = null!;
    private ServiceProvider services = null!;

    protected override bool StartsMigrated => true;

    [SetUp]
    public async Task MigrateAsync()
    {
        clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        await using (await MigratedContextAsync())
        {
        }

        services = OrchestrationServices.Create(Database, clock, configure: OrchestrationServices.WithoutQaGate);
    }

    [TearDown]
    public async Task DisposeServicesAsync() => await services.DisposeAsync();

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public async Task The_ready_work_query_and_the_claim_agree_in_a_random_world(int seed)
    {
        var faker = new OrchestrationFaker(seed);
        var world = await BuildWorldAsync(faker);
        var omni = world.Agents.First(a => a.Capabilities.Count == Pool.Length);

        var initial = new Dictionary<Guid, List<Guid>>();
        foreach (var project in world.Projects)
        {
            // The public ready-work query is the claim rule's unassigned part, in the same order (all capabilities).
            var claimable = await ClaimableAsync(project, omni);
            var lapsed = await LapsedAsync(project);
            var ready = await UseAsync<IWorkItemService, IReadOnlyList<WorkItem>>(w => w.GetReadyWorkAsync(project, 0, 500));
            Assert.That(ready.Select(w => w.Id), Is.EqualTo(claimable.Where(id => !lapsed.Contains(id))), $"seed {seed}: ready work of project {project}");
            initial[project] = claimable;
        }

        AssertWorldIsVaried(seed, world, initial);
        await SweepSessionsAsync(seed, world, world.Projects[0]);

        // One agent claiming one at a time drains exactly the ready set, in order.
        var first = world.Projects[0];
        var drained = new List<Guid>();
        while (await UseAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(omni.Id, first, new ClaimOptions { LeaseDuration = Long })) is { } claimed)
        {
            drained.Add(claimed.Lease.WorkItemId);
            Assert.That(drained, Has.Count.LessThanOrEqualTo(initial[first].Count), $"seed {seed}: the claim took more than the ready set");
        }

        Assert.That(drained, Is.EqualTo(initial[first]), $"seed {seed}: one agent's claims, in order, against the ready set at the start");

        // Many agents, sessions and batch sizes: every claim takes what the rule says, in its order.
        foreach (var project in world.Projects.Skip(1))
        {
            var taken = await DrainAsync(faker.Faker.Random, seed, world, project);
            Assert.That(taken, Is.EquivalentTo(initial[project]), $"seed {seed}: what the agents claimed in project {project}, against the ready set at the start");
        }
    }

    /// <summary>
    /// Every agent claims through every session once: refused exactly when the may-implement rule says no, otherwise
    /// given the first item the rule says (then released, so the ready set is as before).
    /// </summary>
    private async Task SweepSessionsAsync(int seed, World world, Guid project)
    {
        foreach (var agent in world.Agents)
        {
            foreach (var sessionId in world.Sessions)
            {
                var what = $"seed {seed}, project {project}: agent {agent.Id} ({string.Join(",", agent.Capabilities)}) claims through session {sessionId}";
                var before = await ClaimableAsync(project, agent);
                var options = new ClaimOptions { SessionId = sessionId, LeaseDuration = Long };
                if (!await MayImplementAsync(sessionId, project, agent.Id, what))
                {
                    Assert.CatchAsync(() => UseAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(agent.Id, project, options)), what);
                }
                else if (await UseAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(agent.Id, project, options)) is { } claimed)
                {
                    Assert.That(claimed.Lease.WorkItemId, Is.EqualTo(before.FirstOrDefault()), what);
                    await UseAsync<IWorkClaimer, bool>(async c =>
                    {
                        await c.ReleaseAsync(claimed.Lease, "sweep");
                        return true;
                    });
                }
                else
                {
                    Assert.That(before, Is.Empty, what);
                }

                Assert.That(await ClaimableAsync(project, agent), Is.EqualTo(before), $"{what}: the ready set afterwards");
            }
        }
    }

    /// <summary>Claims in <paramref name="project"/> with random agents, sessions and batch sizes until nothing is left, checking each claim; returns what was claimed.</summary>
    private async Task<HashSet<Guid>> DrainAsync(Randomizer random, int seed, World world, Guid project)
    {
        var taken = new HashSet<Guid>();
        for (var step = 0; ; step++)
        {
            Assert.That(step, Is.LessThan(500), $"seed {seed}: the claims in project {project} did not drain it");
            var agent = random.ListItem(world.Agents);
            var sessionId = random.Bool(0.4f) ? null : random.ListItem(world.Sessions);
            var count = random.Int(1, 3);
            // Early on, some claims lapse again (the clock jumps past them), so lapsed work is claimed mid-drain too.
            var lease = step < 12 && random.Bool(0.3f) ? Short : Long;
            var what = $"seed {seed}, project {project}, step {step}: agent {agent.Id} ({string.Join(",", agent.Capabilities)}) claims {count} through session {sessionId ?? "none"}";

            var before = await ClaimableAsync(project, agent);
            var expected = before.Take(count).ToList();
            var options = new ClaimOptions { SessionId = sessionId, LeaseDuration = lease };
            if (sessionId is not null && !await MayImplementAsync(sessionId, project, agent.Id, what))
            {
                var refusal = Assert.CatchAsync(() => UseAsync<IWorkClaimer, IReadOnlyList<ClaimedWork>>(c => c.ClaimBatchAsync(agent.Id, project, count, options)), what);
                Assert.That(refusal, Is.InstanceOf<EntityNotFoundException>().Or.InstanceOf<SessionNotActiveException>().Or.InstanceOf<ProjectIsolationException>().Or.InstanceOf<ArgumentException>(), what);
                Assert.That(await ClaimableAsync(project, agent), Is.EqualTo(before), $"{what}: a refused claim changed nothing");
            }
            else
            {
                var claimed = await UseAsync<IWorkClaimer, IReadOnlyList<ClaimedWork>>(c => c.ClaimBatchAsync(agent.Id, project, count, options));
                Assert.That(claimed.Select(c => c.Lease.WorkItemId), Is.EqualTo(expected), what);
                taken.UnionWith(expected);
            }

            if (lease == Short && random.Bool(0.5f))
            {
                clock.Advance(Short * 2);
            }

            if (await NothingLeftAsync(world, project))
            {
                break;
            }
        }

        foreach (var agent in world.Agents)
        {
            var claimed = await UseAsync<IWorkClaimer, IReadOnlyList<ClaimedWork>>(c => c.ClaimBatchAsync(agent.Id, project, 3, new ClaimOptions { LeaseDuration = Long }));
            Assert.That(claimed, Is.Empty, $"seed {seed}: agent {agent.Id} claimed in project {project} after the rule found nothing left");
        }

        return taken;
    }

    private async Task<bool> NothingLeftAsync(World world, Guid project)
    {
        foreach (var agent in world.Agents)
        {
            if ((await ClaimableAsync(project, agent)).Count > 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The claim rule's LINQ, run by EF Core on this provider: what <paramref name="agent"/> may claim now, in claim order.</summary>
    private async Task<List<Guid>> ClaimableAsync(Guid project, WorldAgentView agent)
    {
        await using var db = CreateContext();
        return await ReadyWorkRule.Claimable(db.WorkItems.AsNoTracking(), project, [.. agent.Capabilities], clock.GetUtcNow())
            .InClaimOrder().Select(w => w.Id).ToListAsync();
    }

    /// <summary>Held items whose lease lapsed (the part of the claim rule the ready-work query leaves out).</summary>
    private async Task<HashSet<Guid>> LapsedAsync(Guid project)
    {
        await using var db = CreateContext();
        var now = clock.GetUtcNow();
        return [.. await db.WorkItems.AsNoTracking()
            .Where(w => w.ProjectId == project && ReadyWorkRule.HeldStates.Contains(w.DelegationStatus) && w.CurrentAssignment!.LeaseExpiresAt <= now)
            .Select(w => w.Id).ToListAsync()];
    }

    /// <summary>The may-implement rule's LINQ, checked against its refusal form (<see cref="ImplementingSession.Ensure"/>) on the way.</summary>
    private async Task<bool> MayImplementAsync(string sessionId, Guid project, Guid agentId, string what)
    {
        await using var db = CreateContext();
        var may = await db.AgentSessions.Where(s => s.SessionId == sessionId).Where(ImplementingSession.MayImplement(project, agentId)).AnyAsync();
        var session = await db.AgentSessions.AsNoTracking().SingleOrDefaultAsync(s => s.SessionId == sessionId);
        var refused = false;
        try
        {
            ImplementingSession.Ensure(session, sessionId, project, agentId);
        }
        catch (Exception exception) when (exception is EntityNotFoundException or SessionNotActiveException or ProjectIsolationException or ArgumentException)
        {
            refused = true;
        }

        Assert.That(refused, Is.EqualTo(!may), $"{what}: the refusal and the LINQ rule disagree");
        return may;
    }

    /// <summary>The world must hold every case the rules tell apart, or the agreement proves little.</summary>
    private static void AssertWorldIsVaried(int seed, World world, Dictionary<Guid, List<Guid>> initial)
    {
        Assert.Multiple(() =>
        {
            Assert.That(initial.Values.Sum(v => v.Count), Is.GreaterThan(5), $"seed {seed}: ready items");
            Assert.That(world.Lapsed, Is.GreaterThan(0), $"seed {seed}: lapsed leases");
            Assert.That(world.Blocked, Is.GreaterThan(0), $"seed {seed}: unassigned tasks waiting on a dependency");
            Assert.That(world.Agents.Any(a => a.Capabilities.Count < Pool.Length), $"seed {seed}: an agent lacking a capability");
        });
    }

    private async Task<World> BuildWorldAsync(OrchestrationFaker faker)
    {
        var random = faker.Faker.Random;

        // The Testing world: epics, stories, chains of dependent tasks, some done and some claimed on short leases.
        var stories = random.Int(2, 3);
        var shape = new WorldOptions
        {
            Agents = 2,
            Capabilities = Pool,
            StoriesPerEpic = stories,
            TasksPerStory = random.Int(2, 4),
            Done = 1,
            Claimed = random.Int(1, stories),
            LeaseDuration = Short,
        };
        var orchestrationWorld = await OrchestrationWorld.CreateAsync(services, shape, faker);
        var agents = new List<WorldAgentView>();
        foreach (var agent in orchestrationWorld.Agents)
        {
            // World agents hold up to their world's needs; here the concurrency limit is not the rule under test.
            await UseAsync<IAgentRegistry, AgentProfile>(r => r.SetConcurrencyLimitAsync(agent.Slug, InputLimits.MaxConcurrency));
            agents.Add(new WorldAgentView(agent.Id, [.. agent.Capabilities]));
        }

        var projects = new List<Guid> { orchestrationWorld.ProjectId };
        for (var i = random.Int(1, 2); i > 0; i--)
        {
            projects.Add((await UseAsync<IWorkItemService, Project>(w => w.CreateProjectAsync(faker.Project()))).Id);
        }

        // Agents with all, some and none of the capabilities.
        List<List<string>> capabilitySets = [[.. Pool], [], [.. random.ListItems(Pool, 1)], [.. random.ListItems(Pool, 2)]];
        foreach (var capabilities in capabilitySets)
        {
            var registration = faker.Agent(a =>
            {
                a.Capabilities = [.. capabilities.Select(c => new CapabilityEntry { Name = c, Proficiency = 3 })];
                a.MaxConcurrentTasks = InputLimits.MaxConcurrency;
            });
            var agent = await UseAsync<IAgentRegistry, AgentProfile>(r => r.RegisterAsync(registration));
            agents.Add(new WorldAgentView(agent.Id, capabilities));
        }

        var items = new Dictionary<Guid, List<Guid>>();
        foreach (var project in projects)
        {
            items[project] = project == orchestrationWorld.ProjectId ? [.. orchestrationWorld.TaskIds] : [];
            for (var i = random.Int(10, 18); i > 0; i--)
            {
                var type = random.ArrayElement([WorkItemType.Task, WorkItemType.Task, WorkItemType.Bug, WorkItemType.Story, WorkItemType.Epic]);
                var required = type is WorkItemType.Task or WorkItemType.Bug ? random.ListItems(Pool, random.Int(0, 2)).ToList() : [];
                var item = await UseAsync<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(faker.WorkItem(project, type, configure: n => n.RequiredCapabilities = required)));
                items[project].Add(item.Id);
                clock.Advance(TimeSpan.FromMilliseconds(random.Int(0, 2)));
            }

            // Each item waits only on items listed before it (the world's chains run the same way): no cycles.
            foreach (var dependency in faker.Dependencies(items[project], 0.08))
            {
                await UseAsync<IWorkItemService, bool>(async w =>
                {
                    await w.AddDependencyAsync(dependency);
                    return true;
                });
            }
        }

        await HoldSomeWorkAsync(random, agents[0], projects.Skip(1));
        await VaryStoredStateAsync(random, items.Values.SelectMany(v => v));
        var sessions = await StartSessionsAsync(faker, orchestrationWorld, agents, projects);

        // The short leases run out: their items are lapsed work.
        clock.Advance(Short * 2);
        await using var db = CreateContext();
        var now = clock.GetUtcNow();
        var lapsed = await db.WorkItems.CountAsync(w => ReadyWorkRule.HeldStates.Contains(w.DelegationStatus) && w.CurrentAssignment!.LeaseExpiresAt <= now);
        var blocked = await db.WorkItems.CountAsync(w => w.DelegationStatus == DelegationStatus.Unassigned && w.Status == WorkItemStatus.Todo
            && (w.Type == WorkItemType.Task || w.Type == WorkItemType.Bug) && w.Dependencies.Any(d => d.DependsOn!.Status != WorkItemStatus.Done));
        return new World(projects, agents, sessions, lapsed, blocked);
    }

    /// <summary>Through the claimer: short leases (lapsed later), long ones (held), completed (done) and released work.</summary>
    private async Task HoldSomeWorkAsync(Randomizer random, WorldAgentView holder, IEnumerable<Guid> projects)
    {
        foreach (var project in projects)
        {
            await UseAsync<IWorkClaimer, IReadOnlyList<ClaimedWork>>(c => c.ClaimBatchAsync(holder.Id, project, random.Int(1, 3), new ClaimOptions { LeaseDuration = Short }));
            var held = await UseAsync<IWorkClaimer, IReadOnlyList<ClaimedWork>>(c => c.ClaimBatchAsync(holder.Id, project, random.Int(2, 4), new ClaimOptions { LeaseDuration = Long }));
            foreach (var work in held)
            {
                switch (random.Int(0, 2))
                {
                    case 0:
                        await UseAsync<IWorkClaimer, bool>(async c =>
                        {
                            await c.CompleteAsync(work.Lease);
                            return true;
                        });
                        break;
                    case 1:
                        await UseAsync<IWorkClaimer, bool>(async c =>
                        {
                            await c.ReleaseAsync(work.Lease, "handed back");
                            return true;
                        });
                        break;
                }
            }
        }
    }

    /// <summary>
    /// Statuses and creation times the rules read, written straight to the rows: the services reach these states only
    /// through long histories (reviews, blocking, cancelling), and the rules judge stored state alone. Equal and
    /// out-of-order creation times make the order's later keys decide.
    /// </summary>
    private async Task VaryStoredStateAsync(Randomizer random, IEnumerable<Guid> itemIds)
    {
        await using var db = CreateContext();
        var start = clock.GetUtcNow();
        foreach (var id in itemIds)
        {
            if (random.Bool(0.2f))
            {
                var status = random.ArrayElement([WorkItemStatus.InProgress, WorkItemStatus.Blocked, WorkItemStatus.InReview, WorkItemStatus.Done, WorkItemStatus.Cancelled]);
                await db.WorkItems.Where(w => w.Id == id && w.DelegationStatus == DelegationStatus.Unassigned).ExecuteUpdateAsync(s => s.SetProperty(w => w.Status, status));
            }

            if (random.Bool(0.5f))
            {
                var createdAt = start - TimeSpan.FromMilliseconds(random.Int(0, 6));
                await db.WorkItems.Where(w => w.Id == id).ExecuteUpdateAsync(s => s.SetProperty(w => w.CreatedAt, createdAt));
            }
        }
    }

    /// <summary>Sessions of every kind a claim may name: the agents' own, agentless, paused, ended, missing, in other projects.</summary>
    private async Task<List<string>> StartSessionsAsync(OrchestrationFaker faker, OrchestrationWorld world, List<WorldAgentView> agents, List<Guid> projects)
    {
        var random = faker.Faker.Random;
        var sessions = new List<string>([.. world.Agents.Select(a => a.SessionId), world.ReviewerSessionId, "missing-session-1"]);
        foreach (var project in projects)
        {
            foreach (var agent in agents.Skip(world.Agents.Count))
            {
                sessions.Add((await UseAsync<ISessionService, AgentSession>(s => s.StartAsync(faker.Session(project, agent.Id)))).SessionId);
            }

            sessions.Add((await UseAsync<ISessionService, AgentSession>(s => s.StartAsync(faker.Session(project)))).SessionId);
        }

        var paused = random.ListItem(sessions.Skip(world.Agents.Count + 2).ToList());
        await UseAsync<ISessionService, AgentSession>(s => s.PauseAsync(paused));
        var ended = random.ListItem(sessions.Skip(world.Agents.Count + 2).Where(s => s != paused).ToList());
        await UseAsync<ISessionService, AgentSession>(s => s.EndAsync(ended, SessionStatus.Completed));
        return sessions;
    }

    private async Task<T> UseAsync<TService, T>(Func<TService, Task<T>> action)
        where TService : notnull
    {
        await using var scope = services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<TService>());
    }

    private sealed record WorldAgentView(Guid Id, List<string> Capabilities);

    private sealed record World(List<Guid> Projects, List<WorldAgentView> Agents, List<string> Sessions, int Lapsed, int Blocked);
}
