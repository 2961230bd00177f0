using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Tests.Infrastructure;
using Bogus;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Agents;

/// <summary>Agent profiles: registration, validation, capabilities and the status machine, on each provider.</summary>
public sealed class AgentRegistryTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private ServiceProvider services = null!;

    protected override bool StartsMigrated => true;

    [SetUp]
    public async Task StartAsync()
    {
        await using (await MigratedContextAsync())
        {
        }

        services = OrchestrationServices.Create(Database);
    }

    [TearDown]
    public async Task StopAsync() => await services.DisposeAsync();

    [Test]
    public async Task Registers_a_profile_with_normalised_capabilities()
    {
        var agent = await WithRegistry(r => r.RegisterAsync(Registration("backend-1", new CapabilityEntry { Name = "  CSharp ", Proficiency = 4 }, new CapabilityEntry { Name = "sql" })));

        Assert.That(agent.Capabilities!.Select(c => c.Name), Is.EqualTo(new[] { "csharp", "sql" }));
        var stored = await WithRegistry(r => r.GetAsync("backend-1"));
        Assert.That(stored.CapabilityRecords.Select(c => (c.Capability, c.Proficiency)), Is.EquivalentTo(new[] { ("csharp", 4), ("sql", 3) }));
        Assert.That(stored.Status, Is.EqualTo(AgentStatus.Active));
        await using var db = CreateContext();
        Assert.That(await db.Events.CountAsync(e => e.Type == OrchestrationEventTypes.AgentRegistered && e.EntityId == agent.Id), Is.EqualTo(1));
    }

    [Test]
    public async Task An_agent_is_read_by_id_with_its_capabilities_and_an_unknown_id_is_not_found()
    {
        var agent = await WithRegistry(r => r.RegisterAsync(Registration("backend-2", new CapabilityEntry { Name = "sql", Proficiency = 5 })));
        await WithRegistry(r => r.RegisterAsync(Registration("backend-3")));

        var stored = await WithRegistry(r => r.GetByIdAsync(agent.Id));
        Assert.That((stored.Slug, stored.Status), Is.EqualTo(("backend-2", AgentStatus.Active)));
        Assert.That(stored.CapabilityRecords.Select(c => (c.Capability, c.Proficiency)), Is.EqualTo(new[] { ("sql", 5) }));

        var unknown = Guid.NewGuid();
        var error = Assert.ThrowsAsync<EntityNotFoundException>(() => WithRegistry(r => r.GetByIdAsync(unknown)));
        Assert.That(error!.Key, Is.EqualTo(unknown));
    }

    [Test]
    public async Task A_taken_slug_is_refused_even_under_a_race()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            try
            {
                await WithRegistry(r => r.RegisterAsync(Registration("same-slug")));
                return "won";
            }
            catch (DuplicateValueException exception)
            {
                Assert.That(exception.Message, Does.Contain("same-slug"));
                return "refused";
            }
        })));

        Assert.That(results.Count(r => r == "won"), Is.EqualTo(1));
        await using var db = CreateContext();
        Assert.That(await db.AgentProfiles.CountAsync(), Is.EqualTo(1));
        Assert.That(await db.Events.CountAsync(), Is.EqualTo(1), "refusals append nothing");
    }

    [Test]
    public async Task Malformed_values_are_refused_and_nothing_is_written()
    {
        var faker = new Faker();
        var badSlugs = new[] { "", "Upper", "under_score", "-lead", "trail-", "double--dash", "sp ace", new string('a', 101), faker.Internet.Email(), faker.Lorem.Sentence() };
        foreach (var slug in badSlugs)
        {
            var error = Assert.ThrowsAsync<ArgumentException>(() => WithRegistry(r => r.RegisterAsync(Registration(slug))));
            Assert.That(error!.Message, Does.Contain("lowercase letters and digits"), slug);
        }

        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => WithRegistry(r => r.RegisterAsync(Registration("ok", new CapabilityEntry { Name = "x", Proficiency = 9 }))));
        Assert.ThrowsAsync<ArgumentException>(() => WithRegistry(r => r.RegisterAsync(Registration("ok", new CapabilityEntry { Name = "x" }, new CapabilityEntry { Name = "X" }))));
        var limit = Registration("ok");
        limit.MaxConcurrentTasks = 0;
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => WithRegistry(r => r.RegisterAsync(limit)));
        var noName = Registration("ok");
        noName.Name = "   ";
        Assert.ThrowsAsync<ArgumentException>(() => WithRegistry(r => r.RegisterAsync(noName)));

        await using var db = CreateContext();
        Assert.That(await db.AgentProfiles.CountAsync(), Is.Zero);
        Assert.That(await db.Events.CountAsync(), Is.Zero);
    }

    [Test]
    public async Task Capabilities_are_replaced_in_the_json_and_the_rows()
    {
        await WithRegistry(r => r.RegisterAsync(Registration("coder", new CapabilityEntry { Name = "csharp" }, new CapabilityEntry { Name = "sql" })));
        await WithRegistry(r => r.SetCapabilitiesAsync("coder", [new CapabilityEntry { Name = "sql", Proficiency = 5 }, new CapabilityEntry { Name = "python", Proficiency = 2 }]));

        var agent = await WithRegistry(r => r.GetAsync("coder"));
        Assert.That(agent.Capabilities!.Select(c => c.Name), Is.EqualTo(new[] { "sql", "python" }));
        Assert.That(agent.CapabilityRecords.Select(c => (c.Capability, c.Proficiency)), Is.EquivalentTo(new[] { ("sql", 5), ("python", 2) }));
    }

    [Test]
    public async Task Status_follows_active_inactive_archived()
    {
        await WithRegistry(r => r.RegisterAsync(Registration("worker")));
        Assert.That((await WithRegistry(r => r.DeactivateAsync("worker"))).Status, Is.EqualTo(AgentStatus.Inactive));
        Assert.That((await WithRegistry(r => r.ActivateAsync("worker"))).Status, Is.EqualTo(AgentStatus.Active));
        Assert.That((await WithRegistry(r => r.ArchiveAsync("worker"))).Status, Is.EqualTo(AgentStatus.Archived));

        var refused = Assert.ThrowsAsync<InvalidStateTransitionException>(() => WithRegistry(r => r.ActivateAsync("worker")));
        Assert.That(refused!.Message, Does.Contain("'archived'").And.Contain("'active'").And.Contain("final state"));
        Assert.ThrowsAsync<EntityNotFoundException>(() => WithRegistry(r => r.ArchiveAsync("nobody")));
        Assert.That((await WithRegistry(r => r.GetAsync("worker"))).Status, Is.EqualTo(AgentStatus.Archived));
    }

    [Test]
    public async Task Descriptive_values_update_and_archived_profiles_are_frozen()
    {
        await WithRegistry(r => r.RegisterAsync(Registration("writer")));
        var updated = await WithRegistry(r => r.UpdateAsync("writer", new AgentProfileUpdate
        {
            Name = "Docs Writer", Mode = "review", Tools = [new AgentTool { Name = "vale" }], Metadata = [new MetadataEntry { Key = "team", Value = "docs" }],
        }));
        Assert.That((updated.Name, updated.Mode, updated.Type), Is.EqualTo(("Docs Writer", "review", "backend-engineer")));

        Assert.ThrowsAsync<ArgumentException>(() => WithRegistry(r => r.UpdateAsync("writer", new AgentProfileUpdate { Mode = new string('m', 51) })));
        await WithRegistry(r => r.ArchiveAsync("writer"));
        Assert.ThrowsAsync<InvalidStateTransitionException>(() => WithRegistry(r => r.UpdateAsync("writer", new AgentProfileUpdate { Name = "Other" })));

        var stored = await WithRegistry(r => r.GetAsync("writer"));
        Assert.That((stored.Name, stored.Tools!.Single().Name, stored.Metadata!.Single().Value), Is.EqualTo(("Docs Writer", "vale", "docs")));
    }

    private static AgentRegistration Registration(string slug, params CapabilityEntry[] capabilities) => new()
    {
        Name = "Agent " + slug,
        Slug = slug,
        Type = "backend-engineer",
        Mode = "implementation",
        Capabilities = capabilities,
    };

    private async Task<T> WithRegistry<T>(Func<IAgentRegistry, Task<T>> action)
    {
        await using var scope = services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<IAgentRegistry>());
    }
}
