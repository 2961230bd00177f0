using AgentOrchestration.Data.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace MyHost.Tests.Xunit;

#region testing-xunit
public sealed class ReadyWorkReportTests
{
    [Theory(SkipExceptions = [typeof(TestDatabaseUnavailableException)])] // skipped without AO_TEST_POSTGRES; fails under CI=true
    [InlineData(TestDatabaseProvider.Sqlite)]
    [InlineData(TestDatabaseProvider.PostgreSql)]
    public async Task Lists_the_first_task_of_each_story_until_it_is_claimed(TestDatabaseProvider provider)
    {
        await using var database = await OrchestrationTestDatabase.CreateAsync(provider);
        var world = await OrchestrationWorld.CreateAsync(database.Services, new WorldOptions { StoriesPerEpic = 3, Claimed = 1 });

        await using var scope = database.Services.CreateAsyncScope();
        var report = ActivatorUtilities.CreateInstance<ReadyWorkReport>(scope.ServiceProvider);
        var titles = await report.TitlesAsync(world.ProjectId);

        Assert.Equal(2, titles.Count); // three chains, one head claimed
    }
}
#endregion
