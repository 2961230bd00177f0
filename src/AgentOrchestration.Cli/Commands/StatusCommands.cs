using System.CommandLine;
using System.Globalization;
using System.Text;
using AgentOrchestration.Cli.Hosting;
using AgentOrchestration.Cli.Output;
using AgentOrchestration.Data.Dashboards;
using AgentOrchestration.Data.EventLog;

namespace AgentOrchestration.Cli.Commands;

/// <summary><c>events</c> and <c>status</c>.</summary>
internal static class StatusCommands
{
    public static Command Events()
    {
        var after = new Option<long>("--after") { Description = "Read after this position: 0 from the start, else the next_after of the last read", DefaultValueFactory = _ => 0 };
        var take = new Option<int>("--take") { Description = "At most this many (1-1000)", DefaultValueFactory = _ => 100 };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new events until interrupted (with --json: one JSON document per line)" };
        var command = new Command("events", "Read the event log forward from a position") { after, take, follow };
        command.SetAction(async (parse, ct) =>
        {
            var json = parse.GetValue(Cli.Json);
            try
            {
                await using var o = await Orchestration.OpenAsync(Cli.Settings(parse), ct);
                var from = parse.GetValue(after);
                if (!parse.GetValue(follow))
                {
                    var count = parse.GetValue(take);
                    if (count is < 1 or > 1000)
                    {
                        throw new InputException($"take {count} is out of range; use 1 to 1000");
                    }

                    var view = await Operations.EventsAsync(o, from, count, ct);
                    Printer.Success(json, view, view.Events.Count == 0 ? $"no events after {from}" : string.Join('\n', view.Events.Select(Line)));
                    return ExitCodes.Ok;
                }

                if (from < 0)
                {
                    throw new InputException($"after {from} is negative; pass 0 to read from the start");
                }

                var project = await o.ProjectAsync(ct);
                try
                {
                    await o.WithAsync<IEventLog, bool>(async log =>
                    {
                        await foreach (var e in log.WatchAsync(from, project.Id, ct))
                        {
                            var view = EventView.Of(e);
                            Console.Out.WriteLine(json ? Printer.Serialize(view) : Line(view));
                            Console.Out.Flush();
                        }

                        return true;
                    });
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    // Interrupted, as --follow expects to be.
                }

                return ExitCodes.Ok;
            }
            catch (Exception exception)
            {
                return Printer.Refused(json, Refusal.From(exception));
            }
        });
        return command;
    }

    public static Command Status()
    {
        var stale = new Option<string>("--stale") { Description = "Work under way with no change for this long counts as stale", DefaultValueFactory = _ => "30m" };
        var command = new Command("status", "A one-screen dashboard: work by status, agents, live sessions and their locks, stalled work, recent events") { stale };
        Cli.Action(command, async (parse, o, ct) =>
        {
            var project = await o.ProjectAsync(ct);
            var staleAfter = Names.Duration(parse.GetValue(stale)!, "--stale");
            var snapshot = await o.WithAsync<IOrchestrationDashboard, DashboardSnapshot>(d => d.GetSnapshotAsync(project.Id, staleAfter, null, 10, ct));
            return (new { project = ProjectView.Of(project), snapshot }, Screen(project.Key, snapshot));
        });
        return command;
    }

    private static string Line(EventView e) =>
        $"{e.Sequence,6} {Printer.Time(e.OccurredAt)} {e.Type} {e.EntityType} {e.EntityId}{(e.Actor is null ? string.Empty : $" by {e.Actor}")}";

    private static string Screen(string key, DashboardSnapshot s)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"project {key} at {Printer.Time(s.TakenAt)}\n");
        var byStatus = s.WorkByStatus.GroupBy(w => w.Status).Select(g => $"{Names.Of(g.Key)} {g.Sum(w => w.Count)}");
        text.Append(CultureInfo.InvariantCulture, $"work:     {(s.WorkByStatus.Count == 0 ? "none" : string.Join(" · ", byStatus))}\n");
        text.Append(CultureInfo.InvariantCulture, $"agents:   {(s.AgentWorkload.Count == 0 ? "none holding work" : string.Join(" · ", s.AgentWorkload.Select(a => $"{a.Slug} {a.ActiveAssignments}/{a.MaxConcurrentTasks}")))}\n");
        text.Append(CultureInfo.InvariantCulture, $"sessions: {s.ActiveSessions.Count} live\n");
        foreach (var session in s.ActiveSessions)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {session.SessionId} {Names.Of(session.Status)} {session.AgentSlug ?? "-"} heartbeat {(int)session.HeartbeatAge.TotalSeconds}s ago: {session.CurrentAction ?? "-"}");
            text.Append(session.Locks.Count == 0 ? "\n" : $" [locks {string.Join(", ", session.Locks.Select(l => $"{l.FilePath} {Names.Of(l.LockType)}"))}]\n");
        }

        if (s.QaPassRates.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"qa:       {string.Join(" · ", s.QaPassRates.Select(q => $"{Names.Of(q.QaType)} {q.Passed + q.Warnings}/{q.Total}"))}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"attention: {s.BlockedAndStaleWork.Count}\n");
        foreach (var item in s.BlockedAndStaleWork)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {item.Id} '{item.Title}' {(item.IsBlocked ? "blocked" : "stale")} {Names.Of(item.Status)} {item.AssignedAgentSlug ?? "-"}\n");
        }

        text.Append("recent:\n");
        foreach (var e in s.RecentEvents.Take(8))
        {
            text.Append(CultureInfo.InvariantCulture, $"  {e.Sequence,6} {Printer.Time(e.OccurredAt)} {e.Type} {e.Actor}\n");
        }

        return text.ToString().TrimEnd('\n');
    }
}
