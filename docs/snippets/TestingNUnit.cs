using AgentOrchestration.Data.Testing;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace MyHost.Tests.NUnit;

#region testing-nunit
[TestFixture(TestDatabaseProvider.Sqlite)]
[TestFixture(TestDatabaseProvider.PostgreSql)]
public sealed class ReadyWorkReportTests(TestDatabaseProvider provider)
{
    private OrchestrationTestDatabase database = null!;

    [SetUp]
    public async Task CreateDatabaseAsync()
    {
        try
        {
            database = await OrchestrationTestDatabase.CreateAsync(provider);
        }
        catch (TestDatabaseUnavailableException unavailable)
        {
            Assert.Ignore(unavailable.Message); // no AO_TEST_POSTGRES here; under CI=true it fails instead
        }
    }

    [TearDown]
    public async Task DropDatabaseAsync() => await database.DisposeAsync();

    [Test]
    public async Task Lists_the_first_task_of_each_story_until_it_is_claimed()
    {
        var world = await OrchestrationWorld.CreateAsync(database.Services, new WorldOptions { StoriesPerEpic = 3, Claimed = 1 });

        await using var scope = database.Services.CreateAsyncScope();
        var report = ActivatorUtilities.CreateInstance<ReadyWorkReport>(scope.ServiceProvider);
        var titles = await report.TitlesAsync(world.ProjectId);

        Assert.That(titles, Has.Count.EqualTo(2)); // three chains, one head claimed
    }
}
#endregion
