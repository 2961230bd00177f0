using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace AgentOrchestration.Data.Tests.Testing;

/// <summary>
/// Runs the host tests docs/testing.md shows (compiled in docs/snippets) on both providers, so the examples not only
/// build but pass: the NUnit one as NUnit runs it, the xUnit and MSTest ones by calling their test methods, with their
/// frameworks' skips mapped to NUnit's.
/// </summary>
[TestFixture(DatabaseProvider.Sqlite)]
[TestFixture(DatabaseProvider.PostgreSql)]
public sealed class DocumentedHostTests(DatabaseProvider provider)
{
    private TestDatabaseProvider Provider => TestDatabase.ToPackage(provider);

    [Test]
    public async Task The_nunit_example_passes()
    {
        var example = new MyHost.Tests.NUnit.ReadyWorkReportTests(Provider);
        await example.CreateDatabaseAsync();
        try
        {
            await example.Lists_the_first_task_of_each_story_until_it_is_claimed();
        }
        finally
        {
            await example.DropDatabaseAsync();
        }
    }

    [Test]
    public async Task The_xunit_example_passes()
    {
        try
        {
            await new MyHost.Tests.Xunit.ReadyWorkReportTests().Lists_the_first_task_of_each_story_until_it_is_claimed(Provider);
        }
        catch (TestDatabaseUnavailableException unavailable)
        {
            NUnit.Framework.Assert.Ignore(unavailable.Message);
        }
    }

    [Test]
    public async Task The_mstest_example_passes()
    {
        try
        {
            await new MyHost.Tests.MsTest.ReadyWorkReportTests().Lists_the_first_task_of_each_story_until_it_is_claimed(Provider);
        }
        catch (AssertInconclusiveException inconclusive)
        {
            NUnit.Framework.Assert.Ignore(inconclusive.Message);
        }
    }
}
