using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Storage;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Dashboards;

/// <summary>The dashboard queries: each one LINQ query, so one SQL command, read without tracking.</summary>
internal sealed class OrchestrationDashboard(OrchestrationContext orchestration, OrchestrationClock clock) : IOrchestrationDashboard
{
    private readonly DbContext db = orchestration.Context;

    public async Task<DashboardSnapshot> GetSnapshotAsync(Guid projectId, TimeSpan staleAfter, Guid? sprintId = null, int take = 50, CancellationToken cancellationToken = default)
    {
        ValidateStaleAfter(staleAfter);
        ValidatePage(0, take);
        var now = clock.GetUtcNow();

        // One connection for the six commands instead of one from the pool (and its reset) per command.
        await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var work = await GetWorkByStatusAsync(projectId, sprintId, cancellationToken).ConfigureAwait(false);
            var workload = await WorkloadAsync(projectId, sprintId, 0, take, now, cancellationToken).ConfigureAwait(false);
            var sessions = await SessionsAsync(projectId, 0, take, now, cancellationToken).ConfigureAwait(false);
            var qa = await GetQaPassRatesAsync(projectId, sprintId, cancellationToken).ConfigureAwait(false);
            var stalled = await StalledAsync(projectId, staleAfter, sprintId, 0, take, now, cancellationToken).ConfigureAwait(false);
            var events = await GetRecentEventsAsync(projectId, 0, take, cancellationToken).ConfigureAwait(false);
            return new DashboardSnapshot(now, work, workload, sessions, qa, stalled, events);
        }
        finally
        {
            await db.Database.CloseConnectionAsync().ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<WorkStatusCount>> GetWorkByStatusAsync(Guid projectId, Guid? sprintId = null, CancellationToken cancellationToken = default)
    {
        var rows = await InScope(db.Set<WorkItem>().AsNoTracking(), projectId, sprintId)
            .GroupBy(w => new { w.Status, w.DelegationStatus })
            .Select(g => new
            {
                g.Key.Status,
                g.Key.DelegationStatus,
                Count = g.Count(),
                EstimatedHours = g.Sum(w => w.EstimatedHours),
                ActualHours = g.Sum(w => w.ActualHours),
            })
            .ToListAsync(cancellationToken).ConfigureAwait(false);

        // Sorted here: the store sorts enums by their stored text, not by their order in the workflow.
        return [.. rows
            .OrderBy(r => r.Status).ThenBy(r => r.DelegationStatus)
            .Select(r => new WorkStatusCount(r.Status, r.DelegationStatus, r.Count, r.EstimatedHours ?? 0, r.ActualHours ?? 0))];
    }

    public Task<IReadOnlyList<AgentWorkload>> GetAgentWorkloadAsync(Guid projectId, Guid? sprintId = null, int skip = 0, int take = 50, CancellationToken cancellationToken = default)
    {
        ValidatePage(skip, take);
        return WorkloadAsync(projectId, sprintId, skip, take, clock.GetUtcNow(), cancellationToken);
    }

    public Task<IReadOnlyList<LiveSession>> GetActiveSessionsAsync(Guid projectId, int skip = 0, int take = 50, CancellationToken cancellationToken = default)
    {
        ValidatePage(skip, take);
        return SessionsAsync(projectId, skip, take, clock.GetUtcNow(), cancellationToken);
    }

    public async Task<IReadOnlyList<QaPassRate>> GetQaPassRatesAsync(Guid projectId, Guid? sprintId = null, CancellationToken cancellationToken = default)
    {
        // A project's results are one range of ix_qa_results_project_type_status (project_id is a copy of the task's),
        // read in type order; a sprint's are those of its items within that range.
        var results = db.Set<QaResult>().Where(r => r.ProjectId == projectId);
        if (sprintId is { } sprint)
        {
            results = results.Where(r => db.Set<WorkItem>().Any(t => t.Id == r.TaskId && t.SprintId == sprint));
        }

        var rows = await (
                from r in results
                group r by r.QaType into g
                select new
                {
                    QaType = g.Key,
                    Total = g.Count(),
                    Passed = g.Count(r => r.Status == QaResultStatus.Pass),
                    Warnings = g.Count(r => r.Status == QaResultStatus.Warning),
                })
            .AsNoTracking()
            .ToListAsync(cancellationToken).ConfigureAwait(false);

        var byType = rows.ToDictionary(r => r.QaType);
        return [.. Enum.GetValues<QaType>().Select(type => byType.TryGetValue(type, out var r)
            ? new QaPassRate(type, r.Total, r.Passed, r.Warnings, r.Total - r.Passed - r.Warnings)
            : new QaPassRate(type, 0, 0, 0, 0))];
    }

    public Task<IReadOnlyList<StalledWorkItem>> GetBlockedAndStaleWorkAsync(
        Guid projectId, TimeSpan staleAfter, Guid? sprintId = null, int skip = 0, int take = 50, CancellationToken cancellationToken = default)
    {
        ValidateStaleAfter(staleAfter);
        ValidatePage(skip, take);
        return StalledAsync(projectId, staleAfter, sprintId, skip, take, clock.GetUtcNow(), cancellationToken);
    }

    public async Task<IReadOnlyList<RecentEvent>> GetRecentEventsAsync(Guid projectId, int skip = 0, int take = 50, CancellationToken cancellationToken = default)
    {
        ValidatePage(skip, take);
        return await db.Set<OrchestrationEvent>().AsNoTracking()
            .Where(e => e.ProjectId == projectId)
            .OrderByDescending(e => e.Sequence)
            .Skip(skip).Take(take)
            .Select(e => new RecentEvent(e.Sequence, e.OccurredAt, e.Type, e.EntityType, e.EntityId, e.Actor, e.Payload))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<AgentWorkload>> WorkloadAsync(Guid projectId, Guid? sprintId, int skip, int take, DateTimeOffset now, CancellationToken cancellationToken)
    {

        // The library keeps an item assigned, in progress or blocked while it has an active assignment, so the delegation
        // filter changes no result; it lets the database start from the project's work in flight (ix_work_items_claim)
        // instead of every active assignment of every project.
        var held =
            from w in InScope(db.Set<WorkItem>(), projectId, sprintId)
            where w.DelegationStatus == DelegationStatus.Assigned || w.DelegationStatus == DelegationStatus.InProgress || w.DelegationStatus == DelegationStatus.Blocked
            join a in db.Set<TaskAssignment>() on w.Id equals a.WorkItemId
            where (a.Status == AssignmentStatus.Assigned || a.Status == AssignmentStatus.Started || a.Status == AssignmentStatus.Paused)
                && (a.LeaseExpiresAt == null || a.LeaseExpiresAt > now)
            select new { a.AgentId, w.EstimatedHours, w.ActualHours };
        var perAgent =
            from h in held
            group h by h.AgentId into g
            select new
            {
                AgentId = g.Key,
                Count = g.Count(),
                EstimatedHours = g.Sum(h => h.EstimatedHours),
                ActualHours = g.Sum(h => h.ActualHours),
            };
        var rows = await (
                from g in perAgent
                join agent in db.Set<AgentProfile>() on g.AgentId equals agent.Id
                orderby g.Count descending, agent.Slug
                select new { g.AgentId, agent.Slug, agent.Name, agent.Status, agent.MaxConcurrentTasks, g.Count, g.EstimatedHours, g.ActualHours })
            .AsNoTracking().Skip(skip).Take(take)
            .ToListAsync(cancellationToken).ConfigureAwait(false);

        return [.. rows.Select(r => new AgentWorkload(
            r.AgentId, r.Slug, r.Name, r.Status, r.MaxConcurrentTasks, r.Count, r.EstimatedHours ?? 0, r.ActualHours ?? 0))];
    }

    private async Task<IReadOnlyList<LiveSession>> SessionsAsync(Guid projectId, int skip, int take, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // The locks come in the same command (a join, not a split query), so the page stays one round trip.
        var rows = await db.Set<AgentSession>().AsNoTracking()
            .Where(s => s.ProjectId == projectId && (s.Status == SessionStatus.Active || s.Status == SessionStatus.Paused))
            .OrderBy(s => s.StartTime).ThenBy(s => s.Id)
            .Skip(skip).Take(take)
            .Select(s => new
            {
                s.Id,
                s.SessionId,
                s.Status,
                s.AgentType,
                s.AgentId,
                AgentSlug = s.Agent == null ? null : s.Agent.Slug,
                s.TaskId,
                s.CurrentAction,
                s.StartTime,
                s.LastHeartbeatAt,
                Locks = s.Locks
                    .Where(l => l.ExpiresAt == null || l.ExpiresAt > now)
                    .OrderBy(l => l.FilePath).ThenBy(l => l.Id)
                    .Select(l => new HeldLock(l.FilePath, l.LockType, l.AcquiredAt, l.ExpiresAt))
                    .ToList(),
            })
            .ToListAsync(cancellationToken).ConfigureAwait(false);

        return [.. rows.Select(r => new LiveSession(
            r.Id, r.SessionId, r.Status, r.AgentType, r.AgentId, r.AgentSlug, r.TaskId, r.CurrentAction, r.StartTime, r.LastHeartbeatAt,
            Age(now, r.LastHeartbeatAt ?? r.StartTime), r.Locks))];
    }

    private async Task<IReadOnlyList<StalledWorkItem>> StalledAsync(
        Guid projectId, TimeSpan staleAfter, Guid? sprintId, int skip, int take, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var cutoff = now - staleAfter;

        // Under way: a workflow status (work_items_project_status) or a delegation status (ix_work_items_claim) says so;
        // each half of the OR is a range of one of the two indexes.
        var rows = await InScope(db.Set<WorkItem>().AsNoTracking(), projectId, sprintId)
            .Where(w => (w.Status == WorkItemStatus.InProgress || w.Status == WorkItemStatus.InReview || w.Status == WorkItemStatus.Blocked
                    || ((w.DelegationStatus == DelegationStatus.Assigned || w.DelegationStatus == DelegationStatus.InProgress || w.DelegationStatus == DelegationStatus.Blocked)
                        && w.Status != WorkItemStatus.Done && w.Status != WorkItemStatus.Cancelled))
                && (w.Status == WorkItemStatus.Blocked || w.DelegationStatus == DelegationStatus.Blocked || w.UpdatedAt < cutoff))
            .OrderBy(w => w.UpdatedAt).ThenBy(w => w.Id)
            .Skip(skip).Take(take)
            .Select(w => new
            {
                w.Id,
                w.Type,
                w.Title,
                w.Status,
                w.DelegationStatus,
                w.Priority,
                w.SprintId,
                w.AssignedAgentId,
                AgentSlug = w.AssignedAgent == null ? null : w.AssignedAgent.Slug,
                w.UpdatedAt,
            })
            .ToListAsync(cancellationToken).ConfigureAwait(false);

        return [.. rows.Select(r => new StalledWorkItem(
            r.Id, r.Type, r.Title, r.Status, r.DelegationStatus, r.Priority, r.SprintId, r.AssignedAgentId, r.AgentSlug, r.UpdatedAt,
            Age(now, r.UpdatedAt),
            IsBlocked: r.Status == WorkItemStatus.Blocked || r.DelegationStatus == DelegationStatus.Blocked,
            IsStale: r.UpdatedAt < cutoff))];
    }

    private static IQueryable<WorkItem> InScope(IQueryable<WorkItem> items, Guid projectId, Guid? sprintId)
    {
        items = items.Where(w => w.ProjectId == projectId);
        return sprintId is { } sprint ? items.Where(w => w.SprintId == sprint) : items;
    }

    private static TimeSpan Age(DateTimeOffset now, DateTimeOffset since) => since < now ? now - since : TimeSpan.Zero;

    private static void ValidateStaleAfter(TimeSpan staleAfter)
    {
        if (staleAfter <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(staleAfter), staleAfter, "The stale threshold is a positive duration.");
        }
    }

    private static void ValidatePage(int skip, int take)
    {
        if (skip < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(skip), skip, "Skip is 0 or more.");
        }

        if (take is < 1 or > IOrchestrationDashboard.MaxPageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(take), take, $"A page holds 1 to {IOrchestrationDashboard.MaxPageSize} items.");
        }
    }
}
