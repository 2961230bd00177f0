using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Backlog;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Delegation;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Sprints;
using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Testing;

/// <summary>Every value the Testing package's factories make is accepted by the real services, for many seeds, on both providers.</summary>
public sealed class FactoryValidityTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private const int Seeds = 20;

    private ServiceProvider services = null!;

    protected override bool StartsMigrated => true;

    [SetUp]
    public async Task MigrateAsync()
    {
        await using (await MigratedContextAsync())
        {
        }

        services = Database.Throwaway.CreateServices();
    }

    [TearDown]
    public async Task DisposeServicesAsync() => await services.DisposeAsync();

    [Test]
    public async Task Every_factory_value_is_accepted_by_the_services_for_many_seeds()
    {
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var fake = new OrchestrationFaker(seed);
            var request = fake.Project();
            var project = await UseAsync<IWorkItemService, Project>(w => w.CreateProjectAsync(request));
            Assert.That(project.Key, Is.EqualTo(request.Key), $"seed {seed}");

            var registration = fake.Agent();
            var agent = await UseAsync<IAgentRegistry, AgentProfile>(r => r.RegisterAsync(registration));
            Assert.That(agent.Slug, Is.EqualTo(registration.Slug), $"seed {seed}");
            Assert.That(agent.CapabilityRecords.Select(c => c.Capability), Is.EquivalentTo(registration.Capabilities.Select(c => c.Name)), $"seed {seed}");
            var reviewerAgent = await UseAsync<IAgentRegistry, AgentProfile>(r => r.RegisterAsync(fake.Agent()));

            var sprint = await UseAsync<ISprintService, Sprint>(s => s.PlanAsync(fake.Sprint(project.Id)));
            var epic = await CreateAsync(fake.Epic(project.Id));
            var story = await CreateAsync(fake.Story(project.Id, epic.Id, w => w.SprintId = sprint.Id));
            var items = new List<WorkItem>
            {
                await CreateAsync(fake.Task(project.Id, story.Id)),
                await CreateAsync(fake.Bug(project.Id, story.Id)),
                await CreateAsync(fake.Task(project.Id, epic.Id)),
                await CreateAsync(fake.Task(project.Id)),
                await CreateAsync(fake.WorkItem(project.Id, WorkItemType.Story)),
            };
            Assert.That(items[0].Title, Is.Not.Empty);

            var dependencies = fake.Dependencies([.. items.Select(i => i.Id)], probability: 0.6);
            foreach (var dependency in dependencies)
            {
                await UseAsync<IWorkItemService, bool>(async w =>
                {
                    await w.AddDependencyAsync(dependency);
                    return true;
                });
            }

            var session = await UseAsync<ISessionService, AgentSession>(s => s.StartAsync(fake.Session(project.Id, agent.Id) with { TaskId = items[0].Id, ParentStoryId = story.Id }));
            var reviewer = await UseAsync<ISessionService, AgentSession>(s => s.StartAsync(fake.Session(project.Id, reviewerAgent.Id, SessionAgentType.Qa)));
            var anonymous = await UseAsync<ISessionService, AgentSession>(s => s.StartAsync(fake.Session(project.Id, agentType: SessionAgentType.Testing)));
            Assert.That(new[] { session.SessionId, reviewer.SessionId, anonymous.SessionId }, Is.Unique, $"seed {seed}");

            var exclusive = fake.Locks(session.SessionId);
            var locked = await UseAsync<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.AcquireAsync(exclusive));
            Assert.That(locked.Select(l => l.Path), Is.EquivalentTo(exclusive.Paths.Select(LockPath.Normalize)), $"seed {seed}");
            var shared = fake.Locks(anonymous.SessionId, FileLockType.Shared);
            await UseAsync<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.AcquireAsync(shared));
            await UseAsync<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.AcquireAsync(fake.Locks(reviewer.SessionId, FileLockType.Shared) with { Paths = shared.Paths }));

            foreach (var type in Enum.GetValues<QaType>())
            {
                foreach (var status in Enum.GetValues<QaResultStatus>())
                {
                    var result = fake.QaResult(items[1].Id, reviewer.SessionId, type, status);
                    var stored = await UseAsync<IQaService, QaResult>(q => q.RecordResultAsync(result));
                    Assert.That((stored.QaType, stored.Status), Is.EqualTo((type, status)), $"seed {seed}");
                }
            }

            var submission = fake.BacklogSubmission(project.Id);
            var backlog = await UseAsync<IBacklogService, BacklogItem>(b => b.SubmitAsync(submission));
            Assert.That(backlog.Title, Is.EqualTo(submission.Title), $"seed {seed}");
            await UseAsync<IBacklogService, BacklogItem>(b => b.StartAnalysisAsync(backlog.Id, agent.Slug));
            var analysed = await UseAsync<IBacklogService, BacklogItem>(b => b.RecordAnalysisAsync(backlog.Id, fake.BacklogAnalysis(agent.Slug)));
            Assert.That(analysed.PrimeNotes, Is.Not.Empty, $"seed {seed}");
            await UseAsync<IBacklogService, BacklogItem>(b => b.MarkReadyAsync(backlog.Id, agent.Slug));
            var promoted = await UseAsync<IBacklogService, WorkItem>(b => b.PromoteAsync(backlog.Id, fake.BacklogPromotion(agent.Slug) with { EpicId = epic.Id, SprintId = sprint.Id }));
            Assert.That(promoted.CreatedFromBacklogId, Is.EqualTo(backlog.Id), $"seed {seed}");
        }

        await using var db = CreateContext();
        Assert.Multiple(async () =>
        {
            Assert.That(await db.Projects.CountAsync(), Is.EqualTo(Seeds));
            Assert.That(await db.AgentProfiles.CountAsync(), Is.EqualTo(2 * Seeds));
            Assert.That(await db.QaResults.CountAsync(), Is.EqualTo(12 * Seeds));
            Assert.That(await db.AgentSessions.CountAsync(), Is.EqualTo(3 * Seeds));
        });
    }

    [Test]
    public async Task Claim_options_heartbeats_delegation_options_and_profile_updates_are_accepted_for_many_seeds()
    {
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var fake = new OrchestrationFaker(seed);
            var project = await UseAsync<IWorkItemService, Project>(w => w.CreateProjectAsync(fake.Project()));
            var agent = await UseAsync<IAgentRegistry, AgentProfile>(r => r.RegisterAsync(fake.Agent(a => a.MaxConcurrentTasks = 2)));
            var update = fake.AgentUpdate();
            var updated = await UseAsync<IAgentRegistry, AgentProfile>(r => r.UpdateAsync(agent.Slug, update));
            Assert.That((updated.Name, updated.Description, updated.Mode, updated.Type), Is.EqualTo((update.Name, update.Description, update.Mode, agent.Type)), $"seed {seed}");

            var capability = agent.CapabilityRecords.First().Capability;
            // The claim takes the most urgent ready task: the claimable one, so the other is left for the delegation.
            var claimable = await CreateAsync(fake.Task(project.Id, configure: t =>
            {
                t.RequiredCapabilities = [capability];
                t.Priority = 1;
            }));
            var delegated = await CreateAsync(fake.Task(project.Id, configure: t =>
            {
                t.RequiredCapabilities = [capability];
                t.Priority = 5;
            }));
            var session = await UseAsync<ISessionService, AgentSession>(s => s.StartAsync(fake.Session(project.Id, agent.Id)));

            var claim = fake.Claim(session.SessionId);
            var claimed = await UseAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(agent.Id, project.Id, claim));
            Assert.That(claimed?.Lease.WorkItemId, Is.EqualTo(claimable.Id), $"seed {seed}");
            await using (var db = CreateContext())
            {
                var assignment = await db.TaskAssignments.SingleAsync(a => a.Id == claimed!.Lease.AssignmentId);
                Assert.That(assignment.AgentId, Is.EqualTo(agent.Id), $"seed {seed}");
                Assert.That(assignment.LeaseExpiresAt!.Value - assignment.AssignedAt, Is.EqualTo(claim.LeaseDuration).Within(TimeSpan.FromSeconds(1)), $"seed {seed}: the lease asked for");
            }

            var options = fake.Delegation(session.SessionId);
            var assigned = await UseAsync<IDelegationService, WorkItem>(d => d.AssignAsync(delegated.Id, Assignee.Agent(agent.Id), options));
            Assert.That((assigned.DelegationStatus, assigned.AssignedAgentSession, assigned.DelegationHistory!.Last().Note),
                Is.EqualTo((DelegationStatus.Assigned, session.SessionId, options.Note)), $"seed {seed}");

            var heartbeat = fake.Heartbeat(session.SessionId);
            var beaten = await UseAsync<ISessionService, AgentSession>(s => s.HeartbeatAsync(heartbeat));
            Assert.That(beaten.CurrentAction, Is.EqualTo(heartbeat.CurrentAction), $"seed {seed}");
        }
    }

    [Test]
    public async Task A_factory_value_with_one_field_broken_is_refused_with_the_field_named()
    {
        // How a bad-input sweep uses the factories: start valid, break exactly one field.
        var fake = new OrchestrationFaker(3);
        var badKey = Assert.ThrowsAsync<ArgumentException>(() => UseAsync<IWorkItemService, Project>(w => w.CreateProjectAsync(fake.Project() with { Key = "Not A Slug" })));
        Assert.That(badKey!.Message, Does.Contain("Not A Slug"));

        var badSlug = Assert.ThrowsAsync<ArgumentException>(() => UseAsync<IAgentRegistry, AgentProfile>(r => r.RegisterAsync(fake.Agent(a => a.Slug = "Bad_Slug"))));
        Assert.That(badSlug!.Message, Does.Contain("Bad_Slug"));
        var created = await UseAsync<IWorkItemService, Project>(w => w.CreateProjectAsync(fake.Project()));
        var badRisk = Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => UseAsync<ISessionService, AgentSession>(s => s.StartAsync(fake.Session(created.Id) with { RiskLevel = 11 })));
        Assert.That(badRisk!.Message, Does.Contain("risk level"));
    }

    private async Task<WorkItem> CreateAsync(NewWorkItem item) => await UseAsync<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(item));

    private async Task<T> UseAsync<TService, T>(Func<TService, Task<T>> action)
        where TService : notnull
    {
        await using var scope = services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<TService>());
    }
}
