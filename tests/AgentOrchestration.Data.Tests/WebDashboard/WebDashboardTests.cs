using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Tests.WebDashboard;

/// <summary>
/// The web dashboard (samples/AgentOrchestration.Dashboard) as a real Kestrel process on each provider: its snapshot
/// against the database, a claim arriving on the live stream, and a reconnect with <c>Last-Event-ID</c>.
/// </summary>
public sealed class WebDashboardTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private DashboardSeed seed = null!;
    private DashboardProcess dashboard = null!;

    [SetUp]
    public async Task StartAsync()
    {
        seed = await DashboardSeed.CreateAsync(Database);
        dashboard = await DashboardProcess.StartAsync(Database);
    }

    [TearDown]
    public async Task StopAsync()
    {
        if (dashboard is not null)
        {
            await dashboard.DisposeAsync();
        }

        if (seed is not null)
        {
            await seed.DisposeAsync();
        }
    }

    [Test]
    public async Task The_snapshot_shows_what_the_database_holds()
    {
        var snapshot = await GetJsonAsync($"/api/snapshot?project={seed.Project.Id}");
        await using var db = CreateContext();
        static string Name<T>(T value) where T : Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());
        static List<string> Strings(JsonNode node, Func<JsonNode, string> select) => [.. node.AsArray().Select(n => select(n!))];

        Assert.Multiple(async () =>
        {
            Assert.That(snapshot["project"]!["id"]!.GetValue<Guid>(), Is.EqualTo(seed.Project.Id));

            var items = await db.WorkItems.AsNoTracking().Where(w => w.ProjectId == seed.Project.Id).Include(w => w.AssignedAgent).ToListAsync();
            Assert.That(
                Strings(snapshot["workItems"]!, n => $"{n["id"]}|{n["title"]}|{n["status"]}|{n["delegationStatus"]}|{n["assignedAgent"]}"),
                Is.EquivalentTo(items.Select(w => $"{w.Id}|{w.Title}|{Name(w.Status)}|{Name(w.DelegationStatus)}|{w.AssignedAgent?.Slug}")));

            var groups = items.GroupBy(w => (w.Status, w.DelegationStatus)).Select(g => $"{Name(g.Key.Status)}|{Name(g.Key.DelegationStatus)}|{g.Count()}");
            Assert.That(Strings(snapshot["workByStatus"]!, n => $"{n["status"]}|{n["delegationStatus"]}|{n["count"]}"), Is.EquivalentTo(groups));

            // The agents working on the project: a session in it or work of it; the idle bystander is not listed.
            var involved = await db.AgentProfiles.AsNoTracking()
                .Where(a => db.AgentSessions.Any(s => s.AgentId == a.Id && s.ProjectId == seed.Project.Id)
                    || db.WorkItems.Any(w => w.AssignedAgentId == a.Id && w.ProjectId == seed.Project.Id))
                .Select(a => a.Slug).ToListAsync();
            Assert.That(involved, Is.EquivalentTo(new[] { seed.Coder.Slug, seed.Reviewer.Slug }));
            Assert.That(await db.AgentProfiles.CountAsync(), Is.EqualTo(3));
            Assert.That(Strings(snapshot["agents"]!, n => n["slug"]!.ToString()), Is.EquivalentTo(involved));
            var coder = snapshot["agents"]!.AsArray().Single(n => n!["slug"]!.ToString() == seed.Coder.Slug)!;
            Assert.That(coder["activeAssignments"]!.GetValue<int>(), Is.EqualTo(await db.TaskAssignments.CountAsync(a => a.AgentId == seed.Coder.Id && a.Status == AssignmentStatus.Assigned)));

            var sessions = await db.AgentSessions.AsNoTracking().Where(s => s.ProjectId == seed.Project.Id).ToListAsync();
            Assert.That(
                Strings(snapshot["sessions"]!, n => $"{n["sessionId"]}|{n["status"]}|{n["oversightLevel"]}|{n["riskLevel"]}|{n["currentAction"]}"),
                Is.EquivalentTo(sessions.Select(s => $"{s.SessionId}|{Name(s.Status)}|{Name(s.OversightLevel)}|{s.RiskLevel}|{s.CurrentAction}")));

            var locks = await db.FileLocks.AsNoTracking().Where(l => l.ProjectId == seed.Project.Id).ToListAsync();
            Assert.That(
                Strings(snapshot["locks"]!, n => $"{n["filePath"]}|{n["lockType"]}|{n["holderSession"]}|{n["holderAgent"]}|{n["expiresAt"]!.GetValue<DateTimeOffset>().UtcTicks}"),
                Is.EquivalentTo(locks.Select(l => $"{l.FilePath}|{Name(l.LockType)}|{l.LockedBySession}|{seed.Coder.Slug}|{l.ExpiresAt!.Value.UtcTicks}")));

            var sprint = await db.Sprints.AsNoTracking().SingleAsync(s => s.ProjectId == seed.Project.Id);
            var chartBar = snapshot["sprints"]!.AsArray().Single()!;
            Assert.That(chartBar["id"]!.GetValue<Guid>(), Is.EqualTo(sprint.Id));
            Assert.That(chartBar["status"]!.ToString(), Is.EqualTo(Name(sprint.Status)));
            Assert.That(chartBar["estimatedHours"]!.GetValue<decimal>(), Is.EqualTo(items.Where(w => w.SprintId == sprint.Id).Sum(w => w.EstimatedHours ?? 0)));
            Assert.That(chartBar["totalItems"]!.GetValue<int>(), Is.EqualTo(items.Count(w => w.SprintId == sprint.Id)));

            var results = await db.QaResults.AsNoTracking().ToListAsync();
            Assert.That(
                Strings(snapshot["qaResults"]!, n => $"{n["id"]}|{n["status"]}|{n["remediationNeeded"]}|{string.Join(";", n["findings"]!.AsArray().Select(f => $"{f!["severity"]}:{f["message"]}:{f["file"]}:{f["line"]}"))}|{string.Join(";", n["mockViolations"]!.AsArray().Select(m => $"{m!["description"]}:{m["file"]}:{m["line"]}"))}"),
                Is.EquivalentTo(results.Select(r => $"{r.Id}|{Name(r.Status)}|{r.RemediationNeeded}|{string.Join(";", r.Findings!.Select(f => $"{f.Severity}:{f.Message}:{f.File}:{f.Line}"))}|{string.Join(";", r.MockViolations!.Select(m => $"{m.Description}:{m.File}:{m.Line}"))}")));

            var backlog = await db.Backlog.AsNoTracking().ToListAsync();
            Assert.That(Strings(snapshot["backlog"]!, n => $"{n["id"]}|{n["title"]}|{n["riskScore"]}|{n["status"]}"),
                Is.EquivalentTo(backlog.Select(b => $"{b.Id}|{b.Title}|{b.RiskScore}|{Name(b.Status)}")));

            // Every event is in the snapshot's past: the cursor is the log's last one, and /api/events pages the same log.
            var log = await seed.With<IEventLog, IReadOnlyList<OrchestrationEvent>>(l => l.ReadAsync(0, 1000));
            Assert.That(snapshot["cursor"]!.GetValue<long>(), Is.EqualTo(log[^1].Sequence));
            var page = await GetJsonAsync($"/api/events?project={seed.Project.Id}&after=0&take=1000");
            Assert.That(page["events"]!.AsArray().Select(e => e!["sequence"]!.GetValue<long>()),
                Is.EqualTo(log.Where(e => e.ProjectId == seed.Project.Id).Select(e => e.Sequence)));
        });
    }

    [Test]
    public async Task A_claim_arrives_on_the_stream_within_two_seconds_of_its_commit()
    {
        var cursor = (await GetJsonAsync($"/api/snapshot?project={seed.Project.Id}"))["cursor"]!.GetValue<long>();
        await using var stream = await SseConnection.OpenAsync(dashboard.Http, seed.Project.Id, after: cursor);

        var claimed = await seed.With<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(seed.Coder.Id, seed.Project.Id));
        var committed = Stopwatch.StartNew();
        Assert.That(claimed?.Lease.WorkItemId, Is.EqualTo(seed.Ready.Id));

        // The spec's bound (the page promises one second; two leave room for a loaded CI machine).
        var limit = TimeSpan.FromSeconds(2);
        JsonNode data;
        do
        {
            var left = limit - committed.Elapsed;
            Assert.That(left, Is.GreaterThan(TimeSpan.Zero), "the claim did not arrive within two seconds of its commit");
            (_, data) = await stream.NextEventAsync(left);
        }
        while (data["type"]!.ToString() != OrchestrationEventTypes.WorkItemClaimed);

        Assert.That(committed.Elapsed, Is.LessThan(limit));
        Assert.That(data["entityId"]!.GetValue<Guid>(), Is.EqualTo(seed.Ready.Id));
        Assert.That(data["projectId"]!.GetValue<Guid>(), Is.EqualTo(seed.Project.Id));

        // Then the board: a snapshot pushed by the server shows the item held by the agent.
        while (true)
        {
            var item = await stream.NextAsync(Generous);
            if (item.EventType != "snapshot")
            {
                continue;
            }

            var board = JsonNode.Parse(item.Data)!["workItems"]!.AsArray().Single(w => w!["id"]!.GetValue<Guid>() == seed.Ready.Id)!;
            if (board["assignedAgent"]?.ToString() == seed.Coder.Slug)
            {
                break;
            }
        }
    }

    [Test]
    public async Task A_reconnect_with_Last_Event_ID_gets_exactly_the_events_it_missed_then_the_live_ones()
    {
        long lastSeen;
        await using (var first = await SseConnection.OpenAsync(dashboard.Http, seed.Project.Id))
        {
            var before = await seed.AddTaskAsync("Seen before the drop");
            var (id, data) = await first.NextEventAsync(Generous);
            Assert.That(data["entityId"]!.GetValue<Guid>(), Is.EqualTo(before.Id));
            lastSeen = id;
        }

        // While the page is away: several changes, of several kinds.
        await seed.AddTaskAsync("Missed 1");
        await seed.AddTaskAsync("Missed 2");
        await seed.With<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(seed.Coder.Id, seed.Project.Id));
        await seed.With<ISessionService, AgentSession>(s => s.HeartbeatAsync(seed.CoderSession.SessionId, "writing the docs"));
        var missed = (await seed.With<IEventLog, IReadOnlyList<OrchestrationEvent>>(l => l.ReadAsync(lastSeen, 1000, seed.Project.Id)))
            .Select(e => e.Sequence).ToList();
        Assert.That(missed, Has.Count.GreaterThanOrEqualTo(4));

        // Only Last-Event-ID says where to resume, as a browser's EventSource sends it.
        await using var second = await SseConnection.OpenAsync(dashboard.Http, seed.Project.Id, lastEventId: lastSeen);
        var received = new List<long>();
        while (received.Count < missed.Count)
        {
            received.Add((await second.NextEventAsync(Generous)).Id);
        }

        Assert.That(received, Is.EqualTo(missed), "the missed events, once each, in the log's order");

        // The join between the catch-up and the live queue: the next event is the next change, no repeat, no gap.
        var after = await seed.AddTaskAsync("After the reconnect");
        var next = await second.NextEventAsync(Generous);
        var logged = await seed.With<IEventLog, IReadOnlyList<OrchestrationEvent>>(l => l.ReadAsync(missed[^1], 1000, seed.Project.Id));
        Assert.That(next.Id, Is.EqualTo(logged.Single().Sequence));
        Assert.That(next.Data["entityId"]!.GetValue<Guid>(), Is.EqualTo(after.Id));
    }

    [Test]
    public async Task The_page_and_api_are_read_only_send_security_headers_and_no_connection_details()
    {
        using var page = await dashboard.Http.GetAsync(new Uri("/", UriKind.Relative));
        var html = await page.Content.ReadAsStringAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            var csp = page.Headers.GetValues("Content-Security-Policy").Single();
            Assert.That(csp, Does.Contain("script-src 'self'").And.Not.Contain("unsafe-inline").And.Contain("default-src 'none'"));
            Assert.That(page.Headers.GetValues("X-Content-Type-Options").Single(), Is.EqualTo("nosniff"));
            Assert.That(page.Headers.GetValues("X-Frame-Options").Single(), Is.EqualTo("DENY"));
            Assert.That(html, Does.Contain("<script src=\"app.js\" defer></script>").And.Not.Contain("<script>"), "no inline script");

            using var write = await dashboard.Http.PostAsync(new Uri("/api/snapshot", UriKind.Relative), new StringContent("{}"));
            Assert.That(write.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));

            // A DNS-rebinding page reaches the loopback port under its own host name: refused.
            using var rebound = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/snapshot", UriKind.Relative));
            rebound.Headers.Host = "attacker.example";
            using var refused = await dashboard.Http.SendAsync(rebound);
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));

            var everything = html
                + await dashboard.Http.GetStringAsync(new Uri("/app.js", UriKind.Relative))
                + await dashboard.Http.GetStringAsync(new Uri($"/api/snapshot?project={seed.Project.Id}", UriKind.Relative))
                + await dashboard.Http.GetStringAsync(new Uri("/api/status", UriKind.Relative));
            var secret = Provider == DatabaseProvider.Sqlite ? Database.ConnectionString["Data Source=".Length..] : Database.ConnectionString;
            Assert.That(everything, Does.Not.Contain(secret));
        });
    }

    private async Task<JsonNode> GetJsonAsync(string path)
    {
        using var response = await dashboard.Http.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        return JsonNode.Parse(body)!;
    }
}
