using AgentOrchestration.Data;
using AgentOrchestration.Data.Backlog;
using AgentOrchestration.Data.Dashboards;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Sprints;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Dashboard.Snapshot;

/// <summary>
/// Reads everything the page shows for one project: the library's dashboard snapshot (<see cref="IOrchestrationDashboard"/>),
/// backlog (<see cref="IBacklogService"/>) and sprint progress (<see cref="ISprintService"/>), plus the lists those do not
/// offer (sprints, the board's items, QA results with findings, sessions' oversight) as untracked reads of the library's
/// public entities through this host's own context. Nothing here writes.
/// </summary>
internal sealed class DashboardReader(
    AgentOrchestrationDbContext db, IOrchestrationDashboard dashboard, IBacklogService backlog, ISprintService sprints)
{
    /// <summary>Work under way that has not changed for this long is listed as stale (the console dashboard's threshold).</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(30);

    private const int ListSize = 100;
    private const int BoardSize = 500;
    private const int SprintsShown = 6;
    private const int EndedSessionsShown = 8;

    public async Task<IReadOnlyList<ProjectDto>> ProjectsAsync(CancellationToken cancellationToken) =>
        await db.Projects.AsNoTracking().OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id).Take(ListSize)
            .Select(p => new ProjectDto(p.Id, p.Key, p.Name, p.CreatedAt)).ToListAsync(cancellationToken);

    /// <summary>Reads the page of <paramref name="projectId"/> (or of the newest project); null when there is no such project.</summary>
    public async Task<SnapshotDto?> ReadAsync(Guid? projectId, long cursor, CancellationToken cancellationToken)
    {
        var projects = await ProjectsAsync(cancellationToken);
        var project = projectId is { } id ? projects.FirstOrDefault(p => p.Id == id)
            ?? await db.Projects.AsNoTracking().Where(p => p.Id == id).Select(p => new ProjectDto(p.Id, p.Key, p.Name, p.CreatedAt)).FirstOrDefaultAsync(cancellationToken)
            : projects.Count > 0 ? projects[0] : null;
        if (project is null)
        {
            return null;
        }

        var snapshot = await dashboard.GetSnapshotAsync(project.Id, StaleAfter, take: ListSize, cancellationToken: cancellationToken);
        var now = snapshot.TakenAt;

        // Oversight and risk are on the session rows, which the live-session query does not return.
        var sessionRows = await db.AgentSessions.AsNoTracking()
            .Where(s => s.ProjectId == project.Id)
            .OrderByDescending(s => s.StartTime).ThenByDescending(s => s.Id)
            .Take(ListSize)
            .Select(s => new
            {
                s.Id, s.SessionId, s.Status, s.AgentType, s.AgentId, AgentSlug = s.Agent == null ? null : s.Agent.Slug, s.TaskId,
                s.CurrentAction, s.StartTime, s.EndTime, s.LastHeartbeatAt, s.OversightLevel, s.RiskLevel,
            })
            .ToListAsync(cancellationToken);
        var rowsById = sessionRows.ToDictionary(s => s.Id);
        var titles = await db.WorkItems.AsNoTracking().Where(w => w.ProjectId == project.Id)
            .OrderBy(w => w.Priority).ThenBy(w => w.CreatedAt).ThenBy(w => w.Id).Take(BoardSize)
            .Select(w => new WorkItemDto(
                w.Id, w.Type, w.Title, w.Status, w.DelegationStatus, w.QaStatus, w.Priority, w.SprintId, w.ParentId,
                w.AssignedAgent == null ? null : w.AssignedAgent.Slug, w.EstimatedHours, w.ActualHours, w.UpdatedAt))
            .ToListAsync(cancellationToken);
        var titleOf = titles.ToDictionary(w => w.Id, w => w.Title);
        string? Title(Guid? id) => id is { } key && titleOf.TryGetValue(key, out var t) ? t : null;

        var live = snapshot.ActiveSessions.Select(s =>
        {
            var row = rowsById.GetValueOrDefault(s.Id);
            return new SessionDto(
                s.Id, s.SessionId, s.Status, s.AgentType, s.AgentSlug, s.TaskId, Title(s.TaskId), s.CurrentAction, s.StartTime, null,
                s.LastHeartbeatAt, s.HeartbeatAge.TotalSeconds, row?.OversightLevel ?? OversightLevel.Standard, row?.RiskLevel ?? 0,
                [.. s.Locks.Select(l => new LockDto(l.FilePath, l.LockType, s.AgentSlug, s.SessionId, l.AcquiredAt, l.ExpiresAt))]);
        }).ToList();
        var liveIds = live.Select(s => s.Id).ToHashSet();
        var ended = sessionRows
            .Where(s => !liveIds.Contains(s.Id) && s.Status != SessionStatus.Active && s.Status != SessionStatus.Paused)
            .OrderByDescending(s => s.EndTime ?? s.StartTime)
            .Take(EndedSessionsShown)
            .Select(s => new SessionDto(
                s.Id, s.SessionId, s.Status, s.AgentType, s.AgentSlug, s.TaskId, Title(s.TaskId), s.CurrentAction, s.StartTime, s.EndTime,
                s.LastHeartbeatAt, null, s.OversightLevel, s.RiskLevel, []));

        var workload = snapshot.AgentWorkload.ToDictionary(w => w.AgentId);

        // Agents belong to no project: show the ones working on this one (a session here, or work of it held or done).
        var assigned = await db.WorkItems.AsNoTracking().Where(w => w.ProjectId == project.Id && w.AssignedAgentId != null)
            .Select(w => w.AssignedAgentId!.Value).Distinct().ToListAsync(cancellationToken);
        var involved = assigned.Concat(workload.Keys).Concat(sessionRows.Where(s => s.AgentId != null).Select(s => s.AgentId!.Value)).Distinct().ToList();
        var agents = (await db.AgentProfiles.AsNoTracking().Where(a => involved.Contains(a.Id)).OrderBy(a => a.Slug).Take(ListSize)
                .Select(a => new { a.Id, a.Slug, a.Name, a.Type, a.Mode, a.Status, a.MaxConcurrentTasks })
                .ToListAsync(cancellationToken))
            .Select(a =>
            {
                var held = workload.GetValueOrDefault(a.Id);
                return new AgentDto(a.Id, a.Slug, a.Name, a.Type, a.Mode, a.Status, a.MaxConcurrentTasks,
                    held?.ActiveAssignments ?? 0, held?.EstimatedHours ?? 0, held?.ActualHours ?? 0);
            })
            .OrderByDescending(a => a.ActiveAssignments).ThenBy(a => a.Slug, StringComparer.Ordinal)
            .ToList();

        var sprintRows = await db.Sprints.AsNoTracking().Where(s => s.ProjectId == project.Id)
            .OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id).Take(SprintsShown)
            .Select(s => new { s.Id, s.Goal }).ToListAsync(cancellationToken);
        var sprintDtos = new List<SprintDto>();
        foreach (var row in sprintRows.AsEnumerable().Reverse())
        {
            var progress = await sprints.GetProgressAsync(row.Id, cancellationToken);
            var work = await dashboard.GetWorkByStatusAsync(project.Id, row.Id, cancellationToken);
            sprintDtos.Add(new SprintDto(
                row.Id, progress.Name, row.Goal, progress.Status, progress.StartsAt, progress.EndsAt, progress.TotalItems, progress.DoneItems,
                progress.EstimatedHours, progress.DoneEstimatedHours, progress.ActualHours, progress.UnassignedItems, work));
        }

        var qa = await db.QaResults.AsNoTracking()
            .Where(r => r.Task!.ProjectId == project.Id)
            .OrderByDescending(r => r.RecordedAt).ThenByDescending(r => r.Id)
            .Take(ListSize)
            .Select(r => new
            {
                r.Id, r.TaskId, TaskTitle = r.Task!.Title, r.QaType, r.Status, r.AgentSessionId, r.SuccessCriteriaMet, r.RemediationNeeded,
                r.RecordedAt, r.Findings, r.MockViolations,
            })
            .ToListAsync(cancellationToken);

        var backlogItems = await backlog.ListAsync(project.Id, take: ListSize, cancellationToken: cancellationToken);

        return new SnapshotDto(
            cursor,
            now,
            project,
            projects,
            agents,
            [.. live, .. ended],
            [.. live.SelectMany(s => s.Locks)],
            snapshot.WorkByStatus,
            sprintDtos,
            titles,
            snapshot.QaPassRates.Select(q => new QaRateDto(q.QaType, q.Total, q.Passed, q.Warnings, q.Failed, q.PassRate)).ToList(),
            [.. qa.Select(r => new QaResultDto(
                r.Id, r.TaskId, r.TaskTitle, r.QaType, r.Status, r.AgentSessionId, r.SuccessCriteriaMet, r.RemediationNeeded, r.RecordedAt,
                [.. (r.Findings ?? []).Select(f => new FindingDto(f.Severity, f.Message, f.File, f.Line))],
                [.. (r.MockViolations ?? []).Select(m => new MockViolationDto(m.Description, m.File, m.Line))]))],
            [.. backlogItems.OrderByDescending(b => b.RiskScore).ThenBy(b => b.Priority).Select(b => new BacklogDto(
                b.Id, b.Title, b.Status, b.Priority, b.EstimatedComplexity, b.BusinessValue, b.RiskScore, b.AssignedToAgent, b.SubmittedAt, b.LastAnalyzed))],
            [.. snapshot.BlockedAndStaleWork.Select(w => new AttentionDto(
                w.Id, w.Type, w.Title, w.Status, w.DelegationStatus, w.AssignedAgentSlug, w.Idle.TotalSeconds, w.IsBlocked, w.IsStale))],
            [.. snapshot.RecentEvents.Select(e => new EventDto(e.Sequence, e.OccurredAt, e.Type, project.Id, e.EntityType, e.EntityId, e.Actor, PayloadDto.Of(e.Payload)))]);
    }
}
