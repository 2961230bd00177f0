using System.Globalization;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Storage;
using AgentOrchestration.Data.Validation;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Sprints;

/// <summary>
/// The default <see cref="ISprintService"/>. Every change runs in a transaction serialized on the sprint's project
/// (<c>sprints:{projectId}</c>), so the one-active-sprint rule is checked and applied without a race; the unique
/// filtered index on active sprints is the backstop for writers that bypass the library.
/// </summary>
internal sealed class SprintService(OrchestrationContext orchestration, WriteTransactions writes, OrchestrationClock clock) : ISprintService
{
    private const int MaxItems = 1000;
    private const string Entity = "sprint";

    private static readonly Dictionary<SprintStatus, string[]> Next = new()
    {
        [SprintStatus.Planned] = ["active", "work added/removed"],
        [SprintStatus.Active] = ["completed", "work added/removed"],
        [SprintStatus.Completed] = [],
    };

    private readonly DbContext db = orchestration.Context;

    public async Task<Sprint> PlanAsync(SprintPlan plan, CancellationToken cancellationToken = default)
    {
        SprintValidation.Plan(plan);
        var name = plan.Name.Trim();

        if (!await db.Set<Project>().AnyAsync(p => p.Id == plan.ProjectId, cancellationToken).ConfigureAwait(false))
        {
            throw new EntityNotFoundException("project", plan.ProjectId);
        }

        var now = clock.GetUtcNow();
        var sprint = new Sprint
        {
            Id = UuidV7.NewGuid(),
            ProjectId = plan.ProjectId,
            Name = name,
            Goal = plan.Goal,
            StartsAt = plan.StartsAt,
            EndsAt = plan.EndsAt,
            Status = SprintStatus.Planned,
            CreatedAt = now,
            UpdatedAt = now,
        };
        return await writes.RunAsync("sprint.plan", LockScope.SprintPlanning(sprint.ProjectId), _ =>
        {
            db.Add(sprint);
            Events.Append(db, now, OrchestrationEventTypes.SprintPlanned, sprint.ProjectId, Entity, sprint.Id, plan.Actor, new EventPayload { To = "planned" });
            return Task.FromResult(sprint);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<Sprint> StartAsync(Guid sprintId, string? actor = null, CancellationToken cancellationToken = default)
    {
        SprintValidation.Change(sprintId, actor);
        try
        {
            return await ChangeAsync(sprintId, async (sprint, now) =>
            {
                if (sprint.Status != SprintStatus.Planned)
                {
                    throw Refused(sprint, "active");
                }

                await RefuseIfOtherActiveAsync(sprint, cancellationToken).ConfigureAwait(false);
                sprint.Status = SprintStatus.Active;
                sprint.StartsAt ??= now;
                sprint.UpdatedAt = now;
                Events.Append(db, now, OrchestrationEventTypes.SprintStarted, sprint.ProjectId, Entity, sprint.Id, actor, new EventPayload { From = "planned", To = "active" });
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateException exception) when (OrchestrationProviders.For(db).IsUniqueViolation(exception))
        {
            // A writer outside the library activated a sprint between our check and our write: the index refused ours.
            db.ChangeTracker.Clear();
            var projectId = await db.Set<Sprint>().AsNoTracking().Where(s => s.Id == sprintId).Select(s => s.ProjectId)
                .SingleAsync(cancellationToken).ConfigureAwait(false);
            var active = await db.Set<Sprint>().AsNoTracking().Where(s => s.ProjectId == projectId && s.Status == SprintStatus.Active)
                .Select(s => new { s.Id, s.Name }).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
            if (active is null)
            {
                throw;
            }

            throw new SprintAlreadyActiveException(projectId, sprintId, active.Id, active.Name);
        }
    }

    public async Task<SprintCompletion> CompleteAsync(Guid sprintId, string? actor = null, CancellationToken cancellationToken = default)
    {
        SprintValidation.Change(sprintId, actor);
        List<Guid> finished = [];
        List<Guid> returned = [];
        var completed = await ChangeAsync(sprintId, async (sprint, now) =>
        {
            if (sprint.Status != SprintStatus.Active)
            {
                throw Refused(sprint, "completed");
            }

            // Each item is row-locked (in id order, as the reaper does) before it is read: a holder completing it meanwhile
            // commits first and the item counts as finished, instead of being read as unfinished and moved out after.
            var ids = await db.Set<WorkItem>().Where(w => w.SprintId == sprint.Id).OrderBy(w => w.Id).Select(w => w.Id)
                .ToListAsync(cancellationToken).ConfigureAwait(false);
            foreach (var id in ids)
            {
                await RowLocks.WorkItemAsync(db, id, cancellationToken).ConfigureAwait(false);
            }

            var items = await db.Set<WorkItem>().Where(w => w.SprintId == sprint.Id).OrderBy(w => w.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
            foreach (var item in items)
            {
                if (item.Status is WorkItemStatus.Done or WorkItemStatus.Cancelled)
                {
                    finished.Add(item.Id);
                    continue;
                }

                // Unfinished work goes back to the project's unplanned work, not silently into a closed sprint.
                item.SprintId = null;
                item.UpdatedAt = now;
                returned.Add(item.Id);
                Events.Append(db, now, OrchestrationEventTypes.SprintWorkRemoved, sprint.ProjectId, Entity, sprint.Id, actor,
                    new EventPayload { WorkItemId = item.Id, Reason = "unfinished when the sprint completed" });
            }

            sprint.Status = SprintStatus.Completed;
            sprint.EndsAt ??= now;
            sprint.UpdatedAt = now;
            Events.Append(db, now, OrchestrationEventTypes.SprintCompleted, sprint.ProjectId, Entity, sprint.Id, actor, new EventPayload
            {
                From = "active",
                To = "completed",
                Data = [Entry("finished_items", finished.Count), Entry("returned_items", returned.Count)],
            });
        }, cancellationToken).ConfigureAwait(false);
        return new SprintCompletion(completed, finished, returned);
    }

    public async Task<int> AddWorkAsync(Guid sprintId, IReadOnlyCollection<Guid> workItemIds, string? actor = null, CancellationToken cancellationToken = default)
    {
        SprintValidation.Work(sprintId, workItemIds, actor);
        var ids = Ids(workItemIds);
        var added = 0;
        await ChangeAsync(sprintId, async (sprint, now) =>
        {
            if (sprint.Status == SprintStatus.Completed)
            {
                throw Refused(sprint, "work added");
            }

            var items = await LoadAsync(ids, cancellationToken).ConfigureAwait(false);
            var foreign = items.FirstOrDefault(i => i.ProjectId != sprint.ProjectId);
            if (foreign is not null)
            {
                throw new ProjectIsolationException($"work item '{foreign.Id}'", foreign.ProjectId, sprint.ProjectId);
            }

            var moving = items.Where(i => i.SprintId is { } current && current != sprint.Id).Select(i => i.SprintId!.Value).Distinct().ToList();
            if (moving.Count > 0)
            {
                var closed = await db.Set<Sprint>().AsNoTracking().Where(s => moving.Contains(s.Id) && s.Status == SprintStatus.Completed)
                    .Select(s => s.Id).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
                if (closed != Guid.Empty)
                {
                    var item = items.First(i => i.SprintId == closed);
                    throw new InvalidStateTransitionException("sprint", closed, "completed", $"work item '{item.Id}' moved out", []);
                }
            }

            foreach (var item in items.Where(i => i.SprintId != sprint.Id))
            {
                var payload = new EventPayload { WorkItemId = item.Id };
                if (item.SprintId is { } from)
                {
                    payload.Data.Add(new MetadataEntry { Key = "from_sprint_id", Value = from.ToString() });
                }

                item.SprintId = sprint.Id;
                item.UpdatedAt = now;
                added++;
                Events.Append(db, now, OrchestrationEventTypes.SprintWorkAdded, sprint.ProjectId, Entity, sprint.Id, actor, payload);
            }

            if (added > 0)
            {
                sprint.UpdatedAt = now;
            }
        }, cancellationToken).ConfigureAwait(false);
        return added;
    }

    public async Task<int> RemoveWorkAsync(Guid sprintId, IReadOnlyCollection<Guid> workItemIds, string? actor = null, CancellationToken cancellationToken = default)
    {
        SprintValidation.Work(sprintId, workItemIds, actor);
        var ids = Ids(workItemIds);
        var removed = 0;
        await ChangeAsync(sprintId, async (sprint, now) =>
        {
            if (sprint.Status == SprintStatus.Completed)
            {
                throw Refused(sprint, "work removed");
            }

            foreach (var item in (await LoadAsync(ids, cancellationToken).ConfigureAwait(false)).Where(i => i.SprintId == sprint.Id))
            {
                item.SprintId = null;
                item.UpdatedAt = now;
                removed++;
                Events.Append(db, now, OrchestrationEventTypes.SprintWorkRemoved, sprint.ProjectId, Entity, sprint.Id, actor, new EventPayload { WorkItemId = item.Id });
            }

            if (removed > 0)
            {
                sprint.UpdatedAt = now;
            }
        }, cancellationToken).ConfigureAwait(false);
        return removed;
    }

    public async Task<SprintProgress> GetProgressAsync(Guid sprintId, CancellationToken cancellationToken = default)
    {
        // One round trip: the sprint left-joined to its items and their agents, grouped by item status and agent and
        // summed in SQL; a sprint without items yields one row with no status. (A grouped collection projection would
        // need APPLY, which SQLite lacks.)
        var rows = await (
                from s in db.Set<Sprint>().AsNoTracking()
                where s.Id == sprintId
                join w in db.Set<WorkItem>().AsNoTracking() on (Guid?)s.Id equals w.SprintId into items
                from w in items.DefaultIfEmpty()
                join a in db.Set<AgentProfile>().AsNoTracking() on w.AssignedAgentId equals (Guid?)a.Id into owners
                from a in owners.DefaultIfEmpty()
                group new { w.EstimatedHours, w.ActualHours, Counted = w == null ? 0 : 1 }
                    by new { s.ProjectId, s.Name, SprintStatus = s.Status, s.StartsAt, s.EndsAt, Status = (WorkItemStatus?)w.Status, AssignedAgentId = (Guid?)a.Id, Slug = a.Slug } into g
                select new
                {
                    g.Key.ProjectId,
                    g.Key.Name,
                    g.Key.SprintStatus,
                    g.Key.StartsAt,
                    g.Key.EndsAt,
                    g.Key.Status,
                    g.Key.AssignedAgentId,
                    g.Key.Slug,
                    Count = g.Sum(x => x.Counted),
                    Estimated = g.Sum(x => x.EstimatedHours),
                    Actual = g.Sum(x => x.ActualHours),
                })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            throw new EntityNotFoundException("sprint", sprintId);
        }

        var header = rows[0];
        var groups = rows.Where(r => r.Status is not null).ToList();
        var byStatus = Enum.GetValues<WorkItemStatus>().ToDictionary(s => s, s => groups.Where(g => g.Status == s).Sum(g => g.Count));
        var agents = groups.Where(g => g.AssignedAgentId is not null)
            .GroupBy(g => (Id: g.AssignedAgentId!.Value, Slug: g.Slug!))
            .Select(a => new SprintAgentWorkload(
                a.Key.Id,
                a.Key.Slug,
                a.Sum(g => g.Count),
                a.Where(g => g.Status is not (WorkItemStatus.Done or WorkItemStatus.Cancelled)).Sum(g => g.Count),
                a.Sum(g => g.Estimated ?? 0),
                a.Sum(g => g.Actual ?? 0)))
            .OrderBy(a => a.Slug, StringComparer.Ordinal)
            .ToList();
        return new SprintProgress(
            sprintId,
            header.ProjectId,
            header.Name,
            header.SprintStatus,
            header.StartsAt,
            header.EndsAt,
            byStatus,
            groups.Sum(g => g.Estimated ?? 0),
            groups.Where(g => g.Status == WorkItemStatus.Done).Sum(g => g.Estimated ?? 0),
            groups.Sum(g => g.Actual ?? 0),
            agents,
            groups.Where(g => g.AssignedAgentId is null).Sum(g => g.Count));
    }

    public Task<Sprint?> GetActiveAsync(Guid projectId, CancellationToken cancellationToken = default) =>
        db.Set<Sprint>().AsNoTracking().Where(s => s.ProjectId == projectId && s.Status == SprintStatus.Active)
            .OrderBy(s => s.Id).FirstOrDefaultAsync(cancellationToken);

    /// <summary>Locks the sprint's project, re-reads the sprint, applies the change, and commits it with its events.</summary>
    private async Task<Sprint> ChangeAsync(Guid sprintId, Func<Sprint, DateTimeOffset, Task> apply, CancellationToken cancellationToken)
    {
        var projectId = await db.Set<Sprint>().AsNoTracking().Where(s => s.Id == sprintId).Select(s => (Guid?)s.ProjectId)
            .SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false) ?? throw new EntityNotFoundException("sprint", sprintId);
        return await writes.RunAsync("sprint.change", LockScope.Sprints(projectId), async ct =>
        {
            var sprint = await db.Set<Sprint>().SingleOrDefaultAsync(s => s.Id == sprintId, ct).ConfigureAwait(false)
                ?? throw new EntityNotFoundException("sprint", sprintId);
            await apply(sprint, clock.GetUtcNow()).ConfigureAwait(false);
            return sprint;
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task RefuseIfOtherActiveAsync(Sprint sprint, CancellationToken cancellationToken)
    {
        var active = await db.Set<Sprint>().AsNoTracking()
            .Where(s => s.ProjectId == sprint.ProjectId && s.Status == SprintStatus.Active && s.Id != sprint.Id)
            .Select(s => new { s.Id, s.Name }).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        if (active is not null)
        {
            throw new SprintAlreadyActiveException(sprint.ProjectId, sprint.Id, active.Id, active.Name);
        }
    }

    private async Task<List<WorkItem>> LoadAsync(List<Guid> ids, CancellationToken cancellationToken)
    {
        var items = await db.Set<WorkItem>().Where(w => ids.Contains(w.Id)).ToListAsync(cancellationToken).ConfigureAwait(false);
        if (items.Count != ids.Count)
        {
            var missing = ids.First(id => items.All(i => i.Id != id));
            throw new EntityNotFoundException("work item", missing);
        }

        return items.OrderBy(i => ids.IndexOf(i.Id)).ToList();
    }

    private static List<Guid> Ids(IReadOnlyCollection<Guid> workItemIds)
    {
        ArgumentNullException.ThrowIfNull(workItemIds);
        var ids = workItemIds.Distinct().ToList();
        if (ids.Count is 0 or > MaxItems)
        {
            throw new ArgumentOutOfRangeException(nameof(workItemIds), ids.Count, $"Name 1 to {MaxItems} distinct work items at once.");
        }

        return ids;
    }

    private static InvalidStateTransitionException Refused(Sprint sprint, string requested) =>
        new("sprint", sprint.Id, StoredEnum.ToStore(sprint.Status), requested, Next[sprint.Status]);

    private static MetadataEntry Entry(string key, int value) => new() { Key = key, Value = value.ToString(CultureInfo.InvariantCulture) };
}
