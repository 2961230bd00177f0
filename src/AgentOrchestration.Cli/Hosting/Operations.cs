using AgentOrchestration.Cli.Output;
using AgentOrchestration.Data;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Cli.Hosting;

/// <summary>The operations both the command line and the MCP server offer, so the two give the same answers and refusals.</summary>
internal static class Operations
{
    public static async Task<ClaimView> ClaimAsync(Orchestration o, string? agent, int batch, TimeSpan? lease, string? idempotencyKey, string? session, CancellationToken ct)
    {
        if (batch is < 1 or > 1000)
        {
            throw new InputException($"batch {batch} is out of range; claim 1 to 1000 items at once");
        }

        var profile = await o.AgentAsync(agent, ct);
        var project = await o.ProjectAsync(ct);
        var options = new ClaimOptions { IdempotencyKey = idempotencyKey, SessionId = session ?? o.Settings.Session, Actor = profile.Slug };
        if (lease is { } duration)
        {
            options.LeaseDuration = duration;
        }

        var claimed = batch == 1
            ? (await o.WithAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(profile.Id, project.Id, options, ct)) is { } one ? [one] : [])
            : await o.WithAsync<IWorkClaimer, IReadOnlyList<ClaimedWork>>(c => c.ClaimBatchAsync(profile.Id, project.Id, batch, options, ct));
        return new ClaimView([.. claimed.Select(LeaseView.Of)]);
    }

    public static async Task<LeaseView> RenewAsync(Orchestration o, string lease, TimeSpan? duration, CancellationToken ct)
    {
        var parsed = Names.ParseLease(lease);
        return LeaseView.Of(await o.WithAsync<IWorkClaimer, ClaimedWork>(c => c.RenewAsync(parsed, duration, ct)));
    }

    public static async Task<CompletedView> CompleteAsync(Orchestration o, string lease, CancellationToken ct)
    {
        var parsed = Names.ParseLease(lease);
        await o.WithAsync<IWorkClaimer, bool>(async c => { await c.CompleteAsync(parsed, ct); return true; });
        var item = await o.WithAsync<IWorkItemService, WorkItem?>(w => w.GetWorkItemAsync(parsed.WorkItemId, ct));
        return new CompletedView(parsed.WorkItemId, item is null ? "unknown" : Names.Of(item.Status), item is null ? "unknown" : Names.Of(item.QaStatus));
    }

    public static async Task<ReleasedView> ReleaseAsync(Orchestration o, string lease, string? reason, CancellationToken ct)
    {
        var parsed = Names.ParseLease(lease);
        await o.WithAsync<IWorkClaimer, bool>(async c => { await c.ReleaseAsync(parsed, reason, ct); return true; });
        var item = await o.WithAsync<IWorkItemService, WorkItem?>(w => w.GetWorkItemAsync(parsed.WorkItemId, ct));
        return new ReleasedView(parsed.WorkItemId, item is null ? "unknown" : Names.Of(item.Status), item is null ? "unknown" : Names.Of(item.DelegationStatus));
    }

    public static async Task<SessionView> HeartbeatAsync(Orchestration o, string? session, string? action, TimeSpan? lease, CancellationToken ct)
    {
        var key = o.Session(session);
        return SessionView.Of(await o.WithAsync<ISessionService, AgentSession>(s => s.HeartbeatAsync(key, action, lease, ct)));
    }

    public static async Task<LocksView> AcquireAsync(Orchestration o, string? session, IReadOnlyCollection<string> paths, bool shared, TimeSpan ttl, CancellationToken ct)
    {
        var key = o.Session(session);
        RequirePaths(paths);
        var locks = await o.WithAsync<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.AcquireAsync(key, paths, shared ? FileLockType.Shared : FileLockType.Exclusive, ttl, ct));
        return new LocksView(key, [.. locks.Select(LockView.Of)]);
    }

    public static async Task<LocksView> RenewLocksAsync(Orchestration o, string? session, TimeSpan ttl, CancellationToken ct)
    {
        var key = o.Session(session);
        var locks = await o.WithAsync<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.RenewAsync(key, ttl, ct));
        return new LocksView(key, [.. locks.Select(LockView.Of)]);
    }

    public static async Task<LocksView> ReleaseLocksAsync(Orchestration o, string? session, IReadOnlyCollection<string> paths, CancellationToken ct)
    {
        var key = o.Session(session);
        var locks = paths.Count == 0
            ? await o.WithAsync<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.ReleaseAllAsync(key, ct))
            : await o.WithAsync<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.ReleaseAsync(key, paths, ct));
        return new LocksView(key, [.. locks.Select(LockView.Of)]);
    }

    /// <summary>
    /// May these paths be written? With a session, the library's write check (other sessions' live locks are in the way);
    /// without one (a person committing), every live lock of the project is in the way.
    /// </summary>
    public static async Task<CheckView> CheckAsync(Orchestration o, string? session, IReadOnlyCollection<string> paths, CancellationToken ct)
    {
        var key = session ?? o.Settings.Session;
        if (paths.Count == 0)
        {
            return new CheckView(key, true, []);
        }

        if (key is not null)
        {
            var check = await o.WithAsync<IFileLockService, FileWriteCheck>(l => l.CheckWriteAsync(key, paths, ct));
            return new CheckView(key, check.AllWritable, [.. check.Paths.Select(p => new CheckPathView(p.Path, p.IsWritable, p.IsHeldExclusively, [.. p.Blocking.Select(ConflictView.Of)]))]);
        }

        var project = await o.ProjectAsync(ct);
        var live = await o.WithAsync<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.GetLocksAsync(project.Id, ct));
        var entries = new List<CheckPathView>();
        foreach (var path in paths.Select(LockPath.Normalize).Distinct(StringComparer.Ordinal))
        {
            var blocking = live.Where(l => LockPath.Overlaps(path, l.Path))
                .Select(l => new ConflictView(path, l.Path, Names.Of(l.LockType), l.SessionId, l.AgentId, l.ExpiresAt,
                    $"'{path}' is locked {Names.Of(l.LockType)} as '{l.Path}' by session '{l.SessionId}'" + (l.ExpiresAt is { } until ? $" until {Printer.Time(until)}" : " with no expiry")))
                .ToList();
            entries.Add(new CheckPathView(path, blocking.Count == 0, false, blocking));
        }

        return new CheckView(null, entries.All(e => e.Writable), entries);
    }

    public static async Task<QaResultView> RecordQaAsync(Orchestration o, string workItem, string? session, string type, string status, string? remediation, IReadOnlyList<string> findings, CancellationToken ct)
    {
        var result = new NewQaResult(Names.Id(workItem, "work item"), o.Session(session), Names.Parse<QaType>(type, "qa type"), Names.Parse<QaResultStatus>(status, "qa status"))
        {
            RemediationNeeded = remediation,
            Findings = findings.Count == 0 ? null : [.. findings.Select(f => new QaFinding { Message = f })],
        };
        return QaResultView.Of(await o.WithAsync<IQaService, QaResult>(q => q.RecordResultAsync(result, ct)));
    }

    public static async Task<IReadOnlyList<WorkView>> ReadyAsync(Orchestration o, int take, CancellationToken ct)
    {
        var project = await o.ProjectAsync(ct);
        return [.. (await o.WithAsync<IWorkItemService, IReadOnlyList<WorkItem>>(w => w.GetReadyWorkAsync(project.Id, 0, take, ct))).Select(WorkView.Of)];
    }

    public static async Task<EventsView> EventsAsync(Orchestration o, long after, int take, CancellationToken ct)
    {
        if (after < 0)
        {
            throw new InputException($"after {after} is negative; pass 0 to read from the start, or the next_after of the last read");
        }

        var project = await o.ProjectAsync(ct);
        var events = await o.WithAsync<IEventLog, IReadOnlyList<OrchestrationEvent>>(l => l.ReadAsync(after, take, project.Id, ct));
        return new EventsView([.. events.Select(EventView.Of)], events.Count == 0 ? after : events[^1].Sequence);
    }

    public static async Task<WorkView> ShowWorkAsync(Orchestration o, string id, CancellationToken ct)
    {
        var workId = Names.Id(id, "work item");
        var item = await o.WithAsync<IWorkItemService, WorkItem?>(w => w.GetWorkItemAsync(workId, ct)) ?? throw new EntityNotFoundException("work item", workId);
        return WorkView.Of(item);
    }

    public static async Task<IReadOnlyList<Guid>> DependsOnAsync(Orchestration o, Guid id, CancellationToken ct) =>
        await o.ReadAsync(db => db.WorkItemDependencies.Where(d => d.WorkItemId == id).Select(d => d.DependsOnId).ToListAsync(ct));

    private static void RequirePaths(IReadOnlyCollection<string> paths)
    {
        if (paths.Count == 0)
        {
            throw new InputException("no paths given; name one or more files or globs such as src/app.cs or docs/**");
        }
    }
}
