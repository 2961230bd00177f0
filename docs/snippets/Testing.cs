using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Docs.Snippets;

/// <summary>The snippets of docs/testing.md (besides the three framework examples) and the Testing package's PACKAGE.md.</summary>
internal static class Testing
{
    public static async Task PackageAsync()
    {
        #region package-testing
        await using var database = await OrchestrationTestDatabase.CreateAsync(TestDatabaseProvider.Sqlite); // migrated; dropped on dispose
        var world = await OrchestrationWorld.CreateAsync(database.Services, new WorldOptions { Claimed = 1, Done = 1 });
        var agent = new OrchestrationFaker(seed: 42).Agent(a => a.MaxConcurrentTasks = 2);
        #endregion
    }

    public static async Task DatabaseOptionsAsync(TestDatabaseProvider provider, TimeProvider clock)
    {
        #region testing-database-options
        await using var database = await OrchestrationTestDatabase.CreateAsync(provider, new TestDatabaseOptions
        {
            PostgresVariable = "MYHOST_TEST_POSTGRES",                         // default: AO_TEST_POSTGRES
            RequireServer = true,                                              // default: when CI=true
            ConfigureOrchestration = o => o.UseClock(clock)                    // a fake clock for leases and TTLs
                .ConfigureQa(qa => qa.RequireNone()),
        });

        // Your own registrations on the same database, turnkey:
        var services = new ServiceCollection();
        services.AddAgentOrchestration(o => database.UseTurnkey(o));
        #endregion
    }

    public static async Task EmbeddedAsync(TestDatabaseProvider provider)
    {
        #region testing-embedded
        static ServiceProvider ShopServices(OrchestrationTestDatabase db)
        {
            var services = new ServiceCollection();
            Embedding.Register(services, db.Provider == TestDatabaseProvider.PostgreSql, db.ConnectionString); // your registration
            return services.BuildServiceProvider();
        }

        await using var database = await OrchestrationTestDatabase.CreateAsync(provider, new TestDatabaseOptions
        {
            Migration = TestDatabaseMigration.None,  // not the library's migrations: yours
            Migrate = async (db, cancellationToken) =>
            {
                await using var services = ShopServices(db);
                await using var scope = services.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<ShopDbContext>().Database.MigrateAsync(cancellationToken);
            },
        });

        await using var shop = ShopServices(database);
        var world = await OrchestrationWorld.CreateAsync(shop); // through the library's services on your context
        #endregion
    }

    public static async Task FactoriesAsync(OrchestrationTestDatabase database)
    {
        #region testing-factories
        var fake = new OrchestrationFaker(seed: 42); // the same seed gives the same values
        await using var scope = database.Services.CreateAsyncScope();
        var work = scope.ServiceProvider.GetRequiredService<IWorkItemService>();

        var project = await work.CreateProjectAsync(fake.Project());
        var agent = await scope.ServiceProvider.GetRequiredService<IAgentRegistry>()
            .RegisterAsync(fake.Agent(a => a.MaxConcurrentTasks = 2));          // classes: a configure callback
        var story = await work.CreateWorkItemAsync(fake.Story(project.Id));
        var task = await work.CreateWorkItemAsync(fake.Task(project.Id, story.Id, t => t.Priority = 1));
        var session = await scope.ServiceProvider.GetRequiredService<ISessionService>()
            .StartAsync(fake.Session(project.Id, agent.Id) with { TaskId = task.Id }); // records: with
        await scope.ServiceProvider.GetRequiredService<IFileLockService>().AcquireAsync(fake.Locks(session.SessionId));
        #endregion
    }

    public static async Task SweepAsync(ISessionService sessions, OrchestrationFaker fake, Guid projectId)
    {
        #region testing-sweep
        var valid = fake.Session(projectId);
        SessionStart[] broken =
        [
            valid with { SessionId = "" },
            valid with { SessionId = "has spaces" },
            valid with { RiskLevel = -1 },
            valid with { RiskLevel = SessionStart.MaxRiskLevel + 1 },
        ];
        foreach (var start in broken)
        {
            // each is refused with an ArgumentException naming the broken field, and writes nothing
        }
        #endregion
    }

    public static async Task WorldAsync(OrchestrationTestDatabase database)
    {
        #region testing-world
        var world = await OrchestrationWorld.CreateAsync(database.Services, new WorldOptions
        {
            Agents = 2,
            StoriesPerEpic = 3,
            TasksPerStory = 4,
            Done = 2,       // claimed, passed the QA policy's checks, completed
            Reviewed = 1,   // claimed and passed, not completed
            Locked = 1,     // claimed, files locked by the agent's session
            Claimed = 1,    // claimed only
        });

        var held = world.Locked[0]; // its TaskId, AgentId, SessionId, Lease and LockedPaths
        #endregion
    }
}
