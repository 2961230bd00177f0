using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Internal;
using AgentOrchestration.Data.Sprints;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Work;

/// <summary>The default <see cref="IWorkItemService"/>.</summary>
internal sealed class WorkItemService(OrchestrationContext orchestration, OrchestrationClock clock) : IWorkItemService
{
    private const int MaxPage = 500;
    private readonly DbContext db = orchestration.Context;

    public async Task<Project> CreateProjectAsync(string key, string name, string? description = null, CancellationToken cancellationToken = default)
    {
        if (key is null || key.Length > 64)
        {
            throw new ArgumentException($"The project key '{key}' is not valid: at most 64 characters.", nameof(key));
        }

        AgentValidation.Slug(key, nameof(key));
        var now = clock.GetUtcNow();
        var project = new Project { Key = key, Name = AgentValidation.Text(name, nameof(name), 200), Description = description, CreatedAt = now, UpdatedAt = now };
        if (await db.Set<Project>().AnyAsync(p => p.Key == key, cancellationToken).ConfigureAwait(false))
        {
            throw new DuplicateValueException("project", "key", key);
        }

        Tracking.Reset(db);
        db.Add(project);
        Events.Append(db, now, "project.created", project.Id, "project", project.Id, null);
        await SaveAsync(cancellationToken).ConfigureAwait(false);
        return project;
    }

    public async Task<WorkItem> CreateWorkItemAsync(NewWorkItem item, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(item);
        var title = AgentValidation.Text(item.Title, "title", 500);
        if (!Enum.IsDefined(item.Type))
        {
            throw new ArgumentOutOfRangeException(nameof(item), item.Type, $"Allowed work item types: {string.Join(", ", Enum.GetNames<WorkItemType>())}.");
        }

        if (item.Priority is < 1 or > 5)
        {
            throw new ArgumentOutOfRangeException(nameof(item), item.Priority, "The priority is 1 (critical) to 5 (nice to have).");
        }

        if (item.EstimatedHours is < 0 or > 999_999.99m)
        {
            throw new ArgumentOutOfRangeException(nameof(item), item.EstimatedHours, "Estimated hours are 0 to 999999.99.");
        }

        var capabilities = item.RequiredCapabilities
            .Select(c => AgentValidation.Text(c, "required capability", 100).ToLowerInvariant()).Distinct().ToList();

        await RequireProjectAsync(item.ProjectId, cancellationToken).ConfigureAwait(false);
        if (item.ParentId is { } parentId)
        {
            var parent = await db.Set<WorkItem>().AsNoTracking().Where(w => w.Id == parentId).Select(w => new { w.ProjectId, w.Type })
                .SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false) ?? throw new EntityNotFoundException("work item", parentId);
            if (parent.ProjectId != item.ProjectId)
            {
                throw new ProjectIsolationException($"parent work item '{parentId}'", parent.ProjectId, item.ProjectId);
            }

            if (parent.Type is WorkItemType.Task or WorkItemType.Bug || item.Type == WorkItemType.Epic)
            {
                throw new ArgumentException(
                    $"A {StoredEnum.ToStore(item.Type)} cannot have a {StoredEnum.ToStore(parent.Type)} as parent: stories belong to epics, tasks and bugs to stories or epics, epics have no parent.",
                    nameof(item));
            }
        }

        if (item.SprintId is { } sprintId)
        {
            var sprint = await db.Set<Sprint>().AsNoTracking().Where(s => s.Id == sprintId).Select(s => new { s.ProjectId, s.Status })
                .SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false) ?? throw new EntityNotFoundException("sprint", sprintId);
            if (sprint.ProjectId != item.ProjectId)
            {
                throw new ProjectIsolationException($"sprint '{sprintId}'", sprint.ProjectId, item.ProjectId);
            }

            if (sprint.Status == SprintStatus.Completed)
            {
                throw new InvalidStateTransitionException("sprint", sprintId, "completed", "work added", []);
            }
        }

        var now = clock.GetUtcNow();
        var workItem = new WorkItem
        {
            ProjectId = item.ProjectId,
            Type = item.Type,
            Title = title,
            Description = item.Description,
            SuccessCriteria = item.SuccessCriteria,
            Priority = item.Priority,
            ParentId = item.ParentId,
            SprintId = item.SprintId,
            EstimatedHours = item.EstimatedHours,
            RequiredCapabilities = capabilities.Count == 0 ? null : capabilities,
            Status = WorkItemStatus.Todo,
            DelegationStatus = DelegationStatus.Unassigned,
            CreatedAt = now,
            UpdatedAt = now,
        };
        Tracking.Reset(db);
        db.Add(workItem);
        Events.Append(db, now, "work_item.created", item.ProjectId, "work_item", workItem.Id, null, new EventPayload { To = "todo", WorkItemId = workItem.Id });
        if (item.SprintId is not { } targetSprint)
        {
            await SaveAsync(cancellationToken).ConfigureAwait(false);
            return workItem;
        }

        try
        {
            // Under the lock sprint changes take, so a sprint completing meanwhile is seen and no work lands in it after.
            await using var transaction = await OrchestrationProviders.For(db)
                .BeginSerializedAsync(db, SprintService.Scope(item.ProjectId), cancellationToken).ConfigureAwait(false);
            if (await db.Set<Sprint>().AsNoTracking().AnyAsync(s => s.Id == targetSprint && s.Status == SprintStatus.Completed, cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidStateTransitionException("sprint", targetSprint, "completed", "work added", []);
            }

            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return workItem;
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    public async Task AddDependencyAsync(Guid workItemId, Guid dependsOnId, CancellationToken cancellationToken = default)
    {
        if (workItemId == dependsOnId)
        {
            throw new DependencyCycleException([workItemId, workItemId]);
        }

        var items = await db.Set<WorkItem>().AsNoTracking().Where(w => w.Id == workItemId || w.Id == dependsOnId)
            .Select(w => new { w.Id, w.ProjectId }).ToListAsync(cancellationToken).ConfigureAwait(false);
        var waiting = items.SingleOrDefault(i => i.Id == workItemId) ?? throw new EntityNotFoundException("work item", workItemId);
        var awaited = items.SingleOrDefault(i => i.Id == dependsOnId) ?? throw new EntityNotFoundException("work item", dependsOnId);
        if (waiting.ProjectId != awaited.ProjectId)
        {
            throw new ProjectIsolationException($"work item '{workItemId}'", waiting.ProjectId, awaited.ProjectId);
        }

        Tracking.Reset(db);
        // Two concurrent additions could each be acyclic alone and close a cycle together: check and add under one lock.
        await using var transaction = await OrchestrationProviders.For(db)
            .BeginSerializedAsync(db, $"dependencies:{waiting.ProjectId}", cancellationToken).ConfigureAwait(false);
        if (await db.Set<WorkItemDependency>().AnyAsync(d => d.WorkItemId == workItemId && d.DependsOnId == dependsOnId, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        if (await FindPathAsync(dependsOnId, workItemId, waiting.ProjectId, cancellationToken).ConfigureAwait(false) is { } path)
        {
            throw new DependencyCycleException([workItemId, .. path]);
        }

        var now = clock.GetUtcNow();
        db.Add(new WorkItemDependency { WorkItemId = workItemId, DependsOnId = dependsOnId, CreatedAt = now });
        Events.Append(db, now, "work_item.dependency_added", waiting.ProjectId, "work_item", workItemId, null, new EventPayload { WorkItemId = dependsOnId });
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        db.ChangeTracker.Clear();
    }

    public async Task<bool> RemoveDependencyAsync(Guid workItemId, Guid dependsOnId, CancellationToken cancellationToken = default)
    {
        Tracking.Reset(db);
        var dependency = await db.Set<WorkItemDependency>().Include(d => d.WorkItem)
            .SingleOrDefaultAsync(d => d.WorkItemId == workItemId && d.DependsOnId == dependsOnId, cancellationToken).ConfigureAwait(false);
        if (dependency is null)
        {
            return false;
        }

        db.Remove(dependency);
        Events.Append(db, clock.GetUtcNow(), "work_item.dependency_removed", dependency.WorkItem!.ProjectId, "work_item", workItemId, null, new EventPayload { WorkItemId = dependsOnId });
        await SaveAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task<WorkItem?> GetWorkItemAsync(Guid workItemId, CancellationToken cancellationToken = default) =>
        await db.Set<WorkItem>().AsNoTracking().SingleOrDefaultAsync(w => w.Id == workItemId, cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<WorkItem>> GetReadyWorkAsync(Guid projectId, int skip = 0, int take = 50, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        if (take is < 1 or > MaxPage)
        {
            throw new ArgumentOutOfRangeException(nameof(take), take, $"A page holds 1 to {MaxPage} items.");
        }

        return await ReadyWorkRule.Ready(db.Set<WorkItem>().AsNoTracking(), projectId).InClaimOrder()
            .Skip(skip).Take(take)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A path of dependencies from <paramref name="from"/> to <paramref name="to"/>, if any (breadth-first, one query per level).</summary>
    private async Task<List<Guid>?> FindPathAsync(Guid from, Guid to, Guid projectId, CancellationToken cancellationToken)
    {
        var cameFrom = new Dictionary<Guid, Guid> { [from] = from };
        var frontier = new List<Guid> { from };
        while (frontier.Count > 0)
        {
            var edges = await db.Set<WorkItemDependency>().AsNoTracking()
                .Where(d => frontier.Contains(d.WorkItemId) && d.WorkItem!.ProjectId == projectId)
                .Select(d => new { d.WorkItemId, d.DependsOnId }).ToListAsync(cancellationToken).ConfigureAwait(false);
            frontier = [];
            foreach (var edge in edges)
            {
                if (!cameFrom.TryAdd(edge.DependsOnId, edge.WorkItemId))
                {
                    continue;
                }

                if (edge.DependsOnId == to)
                {
                    var path = new List<Guid> { to };
                    for (var node = edge.WorkItemId; ; node = cameFrom[node])
                    {
                        path.Add(node);
                        if (node == from)
                        {
                            break;
                        }
                    }

                    path.Reverse();
                    return path;
                }

                frontier.Add(edge.DependsOnId);
            }
        }

        return null;
    }

    private async Task RequireProjectAsync(Guid projectId, CancellationToken cancellationToken)
    {
        if (!await db.Set<Project>().AnyAsync(p => p.Id == projectId, cancellationToken).ConfigureAwait(false))
        {
            throw new EntityNotFoundException("project", projectId);
        }
    }

    private async Task SaveAsync(CancellationToken cancellationToken)
    {
        try
        {
            await SerializedSave.SaveAsync(db, "work", cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }
}
