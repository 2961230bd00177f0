using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Tests.Sample;

/// <summary>The sample run end to end on each provider: exit code 0, and the database it leaves tells the whole story.</summary>
public sealed class SampleEndToEndTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    [Test]
    public async Task The_scenario_runs_to_completion_and_leaves_a_consistent_database()
    {
        string[] target = Provider == DatabaseProvider.Sqlite
            ? ["--db", new SqliteConnectionStringBuilder(Database.ConnectionString).DataSource]
            : ["--provider", "postgres", "--connection", Database.ConnectionString];
        var result = await SampleProcess.RunAsync(TimeSpan.FromMinutes(5), [.. target, "--agents", "3", "--tasks", "8"]);
        Assert.That(result.ExitCode, Is.Zero, $"{result.Output}\n{result.Error}");
        Assert.That(result.Output, Does.Contain("the summary matches the database."));

        // Read what it left through the library's own model: the sample embedded the same tables.
        await using var db = CreateContext();
        var run = await RawSql.ScalarAsync(db, "SELECT outcome FROM sample_scenario_runs");
        Assert.That(run, Is.EqualTo("consistent"));
        var tasks = await db.WorkItems.Where(w => w.Type == WorkItemType.Task).ToListAsync();
        var stories = await db.WorkItems.Where(w => w.Type == WorkItemType.Story).ToListAsync();
        var backlog = await db.Backlog.ToListAsync();
        var sessions = await db.AgentSessions.ToListAsync();
        var results = await db.QaResults.ToListAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(tasks, Has.Count.EqualTo(8));
            Assert.That(tasks, Has.All.Matches<WorkItem>(t => t.Status == WorkItemStatus.Done && t.QaStatus == QaStatus.QaPassed && t.SuccessCriteriaMet));
            Assert.That(backlog, Has.Count.EqualTo(2).And.All.Matches<BacklogItem>(b => b.Status == BacklogStatus.Ready && b.LastAnalyzed != null));
            Assert.That(stories.Select(s => s.CreatedFromBacklogId), Is.EquivalentTo(backlog.Select(b => (Guid?)b.Id)));
            Assert.That(stories, Has.All.Matches<WorkItem>(s => s.PrimeApproved));
            Assert.That(await db.Sprints.SingleAsync(), Has.Property(nameof(Sprint.Status)).EqualTo(SprintStatus.Completed));
            Assert.That(await db.WorkItemDependencies.CountAsync(), Is.GreaterThan(0));
            Assert.That(sessions.Count(s => s.Status == SessionStatus.Failed), Is.EqualTo(1), "one agent crashed and was reaped");
            Assert.That(results.Where(r => r.Status == QaResultStatus.Fail).Select(r => r.RemediationNeeded).ToList(), Has.Count.EqualTo(1).And.All.Not.Null);
            Assert.That(results.Select(r => r.AgentSessionId).Distinct(), Has.Exactly(1).Items, "one QA session reviewed everything");
            Assert.That(await db.FileLocks.CountAsync(), Is.Zero);
            Assert.That(await db.Events.CountAsync(e => e.Type == OrchestrationEventTypes.SessionReaped), Is.EqualTo(1));
            Assert.That(await db.Events.CountAsync(e => e.Type == OrchestrationEventTypes.WorkItemRequeued), Is.EqualTo(1));
        });

        // Dashboard mode on the same database streams the latest run's events, one line each, from the watch API.
        var streamed = await SampleProcess.WatchUntilAsync(TimeSpan.FromMinutes(1), line => line.Contains(OrchestrationEventTypes.SessionCompleted, StringComparison.Ordinal)
            && line.Contains("sprint reviewed", StringComparison.Ordinal), ["dashboard", .. target]);
        // The project's events: agent registrations belong to no project.
        var logged = await db.Events.Where(e => e.ProjectId != null).OrderBy(e => e.Sequence).Select(e => e.Sequence).ToListAsync();
        var sequences = streamed.Where(l => l.StartsWith('#')).Select(l => long.Parse(l[1..l.IndexOf(' ', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.That(sequences, Is.Unique.And.SubsetOf(logged));
        Assert.That(sequences, Has.Count.EqualTo(logged.Count), "every event of the run, the QA session's end being the last");
    }
}
