using System.Globalization;
using System.Text;
using AgentOrchestration.Data.Dashboards;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Sample.Data;
using AgentOrchestration.Sample.Scenario;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Sample.Console;

/// <summary>
/// The live terminal dashboard, driven by the library's watch API: each new event redraws agents and sessions, work
/// by status, held locks, QA results and the event stream. Without a terminal (CI, pipes) it prints one line per event.
/// </summary>
internal sealed class DashboardView(SampleHost host, bool plain)
{
    private const int EventLines = 10;
    private static readonly TimeSpan Redraw = TimeSpan.FromMilliseconds(250);
    private readonly Queue<string> recent = new();

    /// <summary>Watches <paramref name="projectId"/> (or the latest scenario's project) until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task WatchAsync(Guid? projectId, ScenarioProgress? scenario, CancellationToken cancellationToken)
    {
        try
        {
            var project = projectId ?? await LatestProjectAsync(cancellationToken);
            await using var scope = host.CreateScope();
            var log = scope.ServiceProvider.GetRequiredService<IEventLog>();
            var lastDraw = DateTimeOffset.MinValue;
            await foreach (var e in log.WatchAsync(0, project, cancellationToken))
            {
                var line = Describe(e);
                if (plain)
                {
                    System.Console.Out.WriteLine(line);
                    continue;
                }

                recent.Enqueue(line);
                while (recent.Count > EventLines)
                {
                    recent.Dequeue();
                }

                if (DateTimeOffset.UtcNow - lastDraw >= Redraw)
                {
                    await DrawAsync(project, scenario, cancellationToken);
                    lastDraw = DateTimeOffset.UtcNow;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task<Guid> LatestProjectAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var latest = await host.WithAsync<SampleDbContext, Guid?>(db => db.ScenarioRuns.AsNoTracking()
                .OrderByDescending(r => r.StartedAt).Select(r => (Guid?)r.ProjectId).FirstOrDefaultAsync(cancellationToken));
            if (latest is { } id)
            {
                return id;
            }

            System.Console.Out.WriteLine("Waiting for a scenario to start in this database ...");
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    private async Task DrawAsync(Guid project, ScenarioProgress? scenario, CancellationToken cancellationToken)
    {
        // One snapshot: every dashboard query of the library, each a single round trip.
        var snapshot = await host.WithAsync<IOrchestrationDashboard, DashboardSnapshot>(d => d.GetSnapshotAsync(project, TimeSpan.FromSeconds(30), take: 20, cancellationToken: cancellationToken));
        // A terminal that does not report its size (some pseudo-terminals say 0) gets a generous default.
        var width = System.Console.WindowWidth is > 0 and var columns ? Math.Clamp(columns, 40, 240) : 160;
        var screen = new StringBuilder("\u001b[H\u001b[2J");
        void Line(string text) => screen.Append(text.Length > width ? text[..width] : text).Append('\n');

        Line("AgentOrchestration.Data sample - live dashboard (Ctrl+C stops)");
        var done = scenario?.Done ?? snapshot.WorkByStatus.Where(w => w.Status == WorkItemStatus.Done).Sum(w => w.Count);
        var total = scenario?.Total ?? snapshot.WorkByStatus.Sum(w => w.Count);
        var bar = total == 0 ? 0 : done * 40 / total;
        Line($"[{new string('#', bar)}{new string('.', 40 - bar)}] {done}/{total} tasks done");
        Line(string.Empty);
        Line("SESSIONS");
        foreach (var s in snapshot.ActiveSessions)
        {
            var locks = s.Locks.Count == 0 ? "-" : string.Join(", ", s.Locks.Select(l => l.FilePath));
            Line($"  {s.AgentSlug ?? s.AgentType.ToString(),-24} {s.Status,-8} {s.HeartbeatAge.TotalSeconds,5:0.0}s  {s.CurrentAction ?? "-",-40} locks: {locks}");
        }

        Line(string.Empty);
        Line("WORK  " + string.Join("   ", snapshot.WorkByStatus.GroupBy(w => w.Status).Select(g => $"{g.Key}: {g.Sum(w => w.Count)}")));
        Line("QA    " + string.Join("   ", snapshot.QaPassRates.Select(q => $"{q.QaType}: {q.Passed} pass / {q.Failed} fail")));
        Line("STALE " + (snapshot.BlockedAndStaleWork.Count == 0 ? "none" : string.Join(", ", snapshot.BlockedAndStaleWork.Select(w => w.Title))));
        Line(string.Empty);
        Line("EVENTS");
        foreach (var e in recent)
        {
            Line("  " + e);
        }

        await System.Console.Out.WriteAsync(screen.ToString());
    }

    private static string Describe(OrchestrationEvent e)
    {
        var details = e.Payload is null ? string.Empty
            : string.Join(" ", new[] { e.Payload.From is null && e.Payload.To is null ? null : $"{e.Payload.From ?? "-"}->{e.Payload.To ?? "-"}", e.Payload.Reason }
                .Concat(e.Payload.Data.Select(d => $"{d.Key}={d.Value}")).Where(p => !string.IsNullOrEmpty(p)));
        return string.Create(CultureInfo.InvariantCulture, $"#{e.Sequence,-6} {e.OccurredAt:HH:mm:ss.fff} {e.Type,-28} {e.Actor ?? "-",-24} {details}");
    }
}
