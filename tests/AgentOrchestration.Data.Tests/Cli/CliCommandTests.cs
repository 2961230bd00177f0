using System.Text.Json;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Tests.Cli;

/// <summary>Every command of the tool, run as a real process against each provider, checked in its JSON and in the database.</summary>
public sealed class CliCommandTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private CliProcess cli = null!;

    [SetUp]
    public async Task StartAsync() => cli = await CliProcess.CreateAsync(Database);

    [TearDown]
    public void Stop() => cli.Delete();

    [Test]
    public async Task Every_command_works_through_a_whole_flow_and_prints_one_json_document()
    {
        var init = await cli.JsonAsync("init", "--project", "shop", "--name", "Web shop");
        Assert.That((init.GetProperty("project").GetProperty("key").GetString(), init.GetProperty("project_created").GetBoolean(), init.GetProperty("config_written").GetBoolean()),
            Is.EqualTo(("shop", true, true)));
        Assert.That(init.GetProperty("migrations_applied").GetArrayLength(), Is.GreaterThan(0));
        Assert.That(File.ReadAllText(Path.Combine(cli.Folder, ".agents.json")), Does.Contain("\"project\": \"shop\""));
        var again = await cli.RunAsync("init");
        Assert.That((again.ExitCode, again.Output), Is.EqualTo((0, "ready: " + (Provider == DatabaseProvider.Sqlite ? "sqlite" : "postgres") + " database (connection string), project 'shop' (existing), 0 migrations applied")));

        var coder = await cli.JsonAsync("agent", "register", "coder", "--name", "Coder", "-c", "csharp:4", "-c", "sql", "--max-tasks", "3");
        Assert.That(coder.GetProperty("capabilities").EnumerateArray().Select(c => (c.GetProperty("name").GetString(), c.GetProperty("proficiency").GetInt32())),
            Is.EqualTo(new[] { ("csharp", 4), ("sql", 3) }));
        await cli.JsonAsync("agent", "register", "reviewer", "--type", "reviewer", "--mode", "review");
        Assert.That((await cli.JsonAsync("agent", "list")).GetProperty("agents").EnumerateArray().Select(a => a.GetProperty("slug").GetString()), Is.EqualTo(new[] { "coder", "reviewer" }));
        var shown = await cli.JsonAsync("agent", "show", coder.GetProperty("id").GetString()!);
        Assert.That((shown.GetProperty("slug").GetString(), shown.GetProperty("max_concurrent_tasks").GetInt32()), Is.EqualTo(("coder", 3)));

        var first = Id(await cli.JsonAsync("work", "add", "Schema", "-p", "1", "-c", "sql", "--criteria", "tables exist"));
        var second = Id(await cli.JsonAsync("work", "add", "Export", "-p", "1", "--depends-on", first));
        var third = Id(await cli.JsonAsync("work", "add", "Docs", "-p", "4"));
        Assert.That((await cli.JsonAsync("work", "list")).GetProperty("work_items").GetArrayLength(), Is.EqualTo(3));
        Assert.That(Titles(await cli.JsonAsync("work", "ready")), Is.EqualTo(new[] { "Schema", "Docs" }), "Export waits for Schema");
        var deps = await cli.JsonAsync("work", "deps", second);
        Assert.That(deps.GetProperty("depends_on").EnumerateArray().Select(d => (d.GetProperty("id").GetString(), d.GetProperty("status").GetString())), Is.EqualTo(new[] { (first, "todo") }));
        Assert.That((await cli.JsonAsync("work", "deps", third, "--add", first)).GetProperty("depends_on").GetArrayLength(), Is.EqualTo(1));
        Assert.That((await cli.JsonAsync("work", "deps", third, "--remove", first)).GetProperty("depends_on").GetArrayLength(), Is.Zero);

        var implementer = (await cli.JsonAsync("session", "start", "--agent", "coder", "--session-id", "impl-1", "--action", "starting")).GetProperty("session_id").GetString()!;
        var review = (await cli.JsonAsync("session", "start", "--agent", "reviewer", "--session-id", "review-1", "--type", "qa")).GetProperty("session_id").GetString()!;
        var claim = await cli.JsonAsync("claim", "--agent", "coder", "--lease", "30m", "--idempotency-key", "k-1", "--session", implementer);
        var claimed = claim.GetProperty("claimed").EnumerateArray().Single();
        var lease = claimed.GetProperty("lease").GetString()!;
        Assert.That((claimed.GetProperty("work_item_id").GetString(), claimed.GetProperty("fencing_token").GetInt64(), lease),
            Is.EqualTo((first, 1L, $"{first}:{claimed.GetProperty("assignment_id").GetString()}:1")));
        Assert.That(claimed.GetProperty("lease_expires_at").GetDateTimeOffset(), Is.GreaterThan(DateTimeOffset.UtcNow.AddMinutes(25)));
        var retried = await cli.JsonAsync("claim", "--agent", "coder", "--lease", "30m", "--idempotency-key", "k-1", "--session", implementer);
        Assert.That(retried.GetProperty("claimed")[0].GetProperty("lease").GetString(), Is.EqualTo(lease), "the same key returns the same claim");
        var reused = await cli.RunAsync("claim", "--agent", "coder", "--lease", "10m", "--idempotency-key", "k-1", "--session", implementer);
        Assert.That(reused.ExitCode, Is.EqualTo(4), "the same key for another lease is a conflict: " + reused);
        Assert.That(reused.Error, Does.Contain("idempotency key 'k-1'").And.Contain("lease duration"), reused.ToString());
        Assert.That((await cli.JsonAsync("renew", lease, "--lease", "1h")).GetProperty("lease_expires_at").GetDateTimeOffset(), Is.GreaterThan(DateTimeOffset.UtcNow.AddMinutes(55)));
        Assert.That((await cli.JsonAsync("session", "heartbeat", "-s", implementer, "--action", "writing SQL")).GetProperty("current_action").GetString(), Is.EqualTo("writing SQL"));

        var locks = await cli.JsonAsync("lock", "acquire", "-s", implementer, "src/db/**", "docs/schema.md", "--ttl", "10m");
        Assert.That(locks.GetProperty("locks").EnumerateArray().Select(l => (l.GetProperty("path").GetString(), l.GetProperty("lock_type").GetString())),
            Is.EqualTo(new[] { ("src/db/**", "exclusive"), ("docs/schema.md", "exclusive") }));
        Assert.That((await cli.JsonAsync("lock", "renew", "-s", implementer, "--ttl", "20m")).GetProperty("locks").GetArrayLength(), Is.EqualTo(2));
        var check = await cli.JsonAsync("lock", "check", "-s", implementer, "src/db/a.sql");
        Assert.That((check.GetProperty("writable").GetBoolean(), check.GetProperty("paths")[0].GetProperty("held_exclusively").GetBoolean()), Is.EqualTo((true, true)));
        Assert.That((await cli.JsonAsync("lock", "release", "-s", implementer, "docs/schema.md")).GetProperty("locks").GetArrayLength(), Is.EqualTo(1));
        var shared = await cli.JsonAsync("lock", "acquire", "-s", review, "docs/**", "--shared");
        Assert.That(shared.GetProperty("locks")[0].GetProperty("lock_type").GetString(), Is.EqualTo("shared"));
        Assert.That((await cli.JsonAsync("lock", "release", "-s", review, "--all")).GetProperty("locks").GetArrayLength(), Is.EqualTo(1));

        var gated = await cli.RunAsync("complete", lease);
        Assert.That(gated.ExitCode, Is.EqualTo(6), gated.ToString());
        Assert.That(gated.Error, Does.StartWith("agents: qa gate: ").And.Contain("code_review (no result)"));
        var qa = await cli.JsonAsync("qa", "record", first, "-s", review, "--type", "code_review", "--status", "pass", "--finding", "fine");
        Assert.That((qa.GetProperty("qa_type").GetString(), qa.GetProperty("status").GetString(), qa.GetProperty("session_id").GetString()), Is.EqualTo(("code_review", "pass", review)));
        await cli.JsonAsync("qa", "record", first, "-s", review, "--type", "success_criteria", "--status", "pass");
        var completed = await cli.JsonAsync("complete", lease);
        Assert.That((completed.GetProperty("work_item_id").GetString(), completed.GetProperty("status").GetString(), completed.GetProperty("qa_status").GetString()), Is.EqualTo((first, "done", "qa_passed")));
        Assert.That((await cli.JsonAsync("work", "show", first)).GetProperty("work_item").GetProperty("status").GetString(), Is.EqualTo("done"));
        Assert.That(Titles(await cli.JsonAsync("work", "ready")), Is.EqualTo(new[] { "Export", "Docs" }), "Export is ready once Schema is done");

        var batch = await cli.JsonAsync("claim", "--agent", "coder", "--batch", "2");
        var leases = batch.GetProperty("claimed").EnumerateArray().Select(c => c.GetProperty("lease").GetString()!).ToList();
        Assert.That(leases, Has.Count.EqualTo(2));
        var released = await cli.JsonAsync("release", leases[0], "--reason", "not today");
        Assert.That((released.GetProperty("status").GetString(), released.GetProperty("delegation_status").GetString()), Is.EqualTo(("todo", "unassigned")));

        var idea = await cli.JsonAsync("backlog", "add", "CSV import", "--description", "Import orders", "--criteria", "a CSV imports", "--priority", "2", "--complexity", "simple");
        var ideaId = idea.GetProperty("id").GetString()!;
        Assert.That(idea.GetProperty("status").GetString(), Is.EqualTo("backlog"));
        var analysed = await cli.JsonAsync("backlog", "analyze", ideaId, "--agent", "prime", "--risk", "20", "--notes", "small", "--ready");
        Assert.That((analysed.GetProperty("status").GetString(), analysed.GetProperty("risk_score").GetInt32()), Is.EqualTo(("ready", 20)));
        var promoted = await cli.JsonAsync("backlog", "promote", ideaId, "--agent", "prime", "--approve");
        Assert.That((promoted.GetProperty("story").GetProperty("type").GetString(), promoted.GetProperty("story").GetProperty("title").GetString()), Is.EqualTo(("story", "CSV import")));

        var events = await cli.JsonAsync("events", "--after", "0", "--take", "1000");
        var types = events.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.That(types, Does.Contain(OrchestrationEventTypes.WorkItemClaimed).And.Contain(OrchestrationEventTypes.WorkItemCompleted).And.Contain(OrchestrationEventTypes.FileLockAcquired).And.Contain(OrchestrationEventTypes.BacklogPromoted));
        var next = events.GetProperty("next_after").GetInt64();
        Assert.That((await cli.JsonAsync("events", "--after", next.ToString(System.Globalization.CultureInfo.InvariantCulture))).GetProperty("events").GetArrayLength(), Is.Zero);
        var followed = await FollowAsync(2);
        Assert.That(followed.Select(e => JsonDocument.Parse(e).RootElement.GetProperty("sequence").GetInt64()),
            Is.EqualTo(events.GetProperty("events").EnumerateArray().Take(2).Select(e => e.GetProperty("sequence").GetInt64())), "--follow --json: one event document per line, in the log's order");
        var status = await cli.JsonAsync("status");
        Assert.That(status.GetProperty("snapshot").GetProperty("active_sessions").GetArrayLength(), Is.EqualTo(2));
        var screen = await cli.RunAsync("status");
        Assert.That(screen.ExitCode, Is.Zero, screen.ToString());
        Assert.That(screen.Output, Does.Contain("project shop").And.Contain("impl-1"));

        var ended = await cli.JsonAsync("session", "end", "-s", implementer, "--outcome", "failed", "--reason", "done for today");
        Assert.That(ended.GetProperty("status").GetString(), Is.EqualTo("failed"));

        await using var db = CreateContext();
        Assert.That(await db.WorkItems.Where(w => w.Id == Guid.Parse(first)).Select(w => w.Status).SingleAsync(), Is.EqualTo(WorkItemStatus.Done));
        Assert.That(await db.FileLocks.CountAsync(), Is.Zero, "ending the session released its locks");
        Assert.That(await db.WorkItems.CountAsync(w => w.Status != WorkItemStatus.Done && w.AssignedAgentId != null), Is.Zero, "the failed session's work went back to the queue");
    }

    /// <summary>
    /// <c>work add --depends-on</c> writes the item and its dependencies in one transaction: a failure while writing a
    /// dependency leaves no item behind (it used to leave the item, claimable, with none of them).
    /// </summary>
    [Test]
    public async Task Work_add_writes_the_item_and_its_dependencies_together_or_not_at_all()
    {
        await cli.JsonAsync("init", "--project", "shop");
        var schema = Id(await cli.JsonAsync("work", "add", "Schema"));
        var api = Id(await cli.JsonAsync("work", "add", "API"));
        var export = await cli.JsonAsync("work", "add", "Export", "--depends-on", schema, "--depends-on", api);
        Assert.That(export.GetProperty("depends_on").EnumerateArray().Select(d => d.GetString()), Is.EqualTo(new[] { schema, api }));
        await using (var db = CreateContext())
        {
            var exportId = Guid.Parse(Id(export));
            Assert.That(await db.WorkItemDependencies.CountAsync(d => d.WorkItemId == exportId), Is.EqualTo(2));
            await Work.CreateWithDependenciesTests.RefuseDependencyInsertsAsync(db);
        }

        var before = await CliProcess.SnapshotAsync(Database);
        var refused = await cli.RunAsync("work", "add", "Docs", "--depends-on", schema);
        Assert.That(refused.ExitCode, Is.EqualTo(1), refused.ToString());
        Assert.That(await CliProcess.SnapshotAsync(Database), Is.EqualTo(before), "no item without its dependency");
    }

    /// <summary>Runs <c>events --follow --json</c> until it has printed <paramref name="count"/> lines, then interrupts it.</summary>
    private async Task<List<string>> FollowAsync(int count)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cli.Folder };
        foreach (var arg in new[] { CliProcess.Dll, "events", "--follow", "--json" })
        {
            start.ArgumentList.Add(arg);
        }

        cli.Configure(start);
        using var process = System.Diagnostics.Process.Start(start)!;
        var lines = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            while (lines.Count < count && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                lines.Add(line);
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true);
        }

        return lines;
    }

    private static string Id(JsonElement added) => added.GetProperty("work_item").GetProperty("id").GetString()!;

    private static IEnumerable<string?> Titles(JsonElement list) => list.GetProperty("work_items").EnumerateArray().Select(w => w.GetProperty("title").GetString());
}
