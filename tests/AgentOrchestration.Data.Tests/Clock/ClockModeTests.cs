using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AgentOrchestration.Data.Tests.Clock;

/// <summary>Which clock stamps a lease: the server's on PostgreSQL, the registered one on SQLite, the explicit one on both.</summary>
public sealed class ClockModeTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    // A registered clock far from the real time, so whichever clock stamped the lease is plain to see.
    private readonly FakeTimeProvider registered = new(new DateTimeOffset(2031, 5, 1, 12, 0, 0, TimeSpan.Zero));

    [Test]
    public async Task Without_an_explicit_clock_PostgreSQL_stamps_leases_by_the_server_and_SQLite_by_the_registered_clock()
    {
        await using var services = OrchestrationServices.Create(Database, before: s => s.AddSingleton<TimeProvider>(registered), configure: OrchestrationServices.WithoutQaGate);
        var (agent, project) = await SeedAsync(services);

        var before = DateTimeOffset.UtcNow;
        var claimed = await ClaimAsync(services, agent, project);
        var after = DateTimeOffset.UtcNow;

        if (Provider == DatabaseProvider.PostgreSql)
        {
            // The test server runs on this machine: its clock is the real time, not the registered one.
            Assert.That(claimed.LeaseExpiresAt, Is.InRange(before + Lease - TimeSpan.FromSeconds(1), after + Lease + TimeSpan.FromSeconds(1)));
        }
        else
        {
            Assert.That(claimed.LeaseExpiresAt, Is.EqualTo(registered.GetUtcNow() + Lease));
        }
    }

    [Test]
    public async Task An_explicit_clock_stamps_leases_on_both_providers()
    {
        var explicitClock = new FakeTimeProvider(new DateTimeOffset(2027, 2, 3, 4, 5, 6, TimeSpan.Zero));
        await using var services = OrchestrationServices.Create(
            Database, explicitClock, before: s => s.AddSingleton<TimeProvider>(registered), configure: OrchestrationServices.WithoutQaGate);
        var (agent, project) = await SeedAsync(services);

        var claimed = await ClaimAsync(services, agent, project);
        Assert.That(claimed.LeaseExpiresAt, Is.EqualTo(explicitClock.GetUtcNow() + Lease));
    }

    /// <summary>Migrates, then creates a project with one task any agent may claim and an agent, through <paramref name="services"/>.</summary>
    private async Task<(AgentProfile Agent, Project Project)> SeedAsync(ServiceProvider services)
    {
        await using (await MigratedContextAsync())
        {
        }

        await using var scope = services.CreateAsyncScope();
        var work = scope.ServiceProvider.GetRequiredService<IWorkItemService>();
        var project = await work.CreateProjectAsync(Fakes.Factory.Project());
        await work.CreateWorkItemAsync(Fakes.Factory.Task(project.Id, configure: t => t.RequiredCapabilities = []));
        var agent = await scope.ServiceProvider.GetRequiredService<IAgentRegistry>().RegisterAsync(Fakes.Factory.Agent());
        return (agent, project);
    }

    private static async Task<ClaimedWork> ClaimAsync(ServiceProvider services, AgentProfile agent, Project project)
    {
        await using var scope = services.CreateAsyncScope();
        var claimed = await scope.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimNextAsync(agent.Id, project.Id, new ClaimOptions { LeaseDuration = Lease });
        Assert.That(claimed, Is.Not.Null);
        return claimed!;
    }
}
