using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>Runs every test of a derived fixture once per provider, each test on a fresh database.</summary>
[TestFixture(DatabaseProvider.Sqlite)]
[TestFixture(DatabaseProvider.PostgreSql)]
public abstract class ProviderFixture(DatabaseProvider provider)
{
    protected DatabaseProvider Provider { get; } = provider;

    protected TestDatabase Database { get; private set; } = null!;

    /// <summary>
    /// Whether each test's database starts migrated (a copy of the Testing package's migrated template, far cheaper than
    /// migrating); fixtures whose tests migrate, or look at an unmigrated database, keep it empty.
    /// </summary>
    protected virtual bool StartsMigrated => false;

    [SetUp]
    public async Task CreateDatabaseAsync() => Database = await TestDatabase.CreateAsync(Provider, StartsMigrated);

    [TearDown]
    public async Task DropDatabaseAsync()
    {
        if (Database is not null)
        {
            await Database.DisposeAsync();
        }
    }

    protected AgentOrchestrationDbContext CreateContext() => Database.CreateContext();

    protected async Task<AgentOrchestrationDbContext> MigratedContextAsync()
    {
        var context = CreateContext();
        await context.Database.MigrateAsync();
        return context;
    }
}
