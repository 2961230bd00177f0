using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Sprints;
using AgentOrchestration.Data.Storage;
using AgentOrchestration.Data.Validation;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Work;

/// <summary>The default <see cref="IWorkItemService"/>.</summary>
internal sealed class WorkItemService(OrchestrationContext orchestration, WriteTransactions writes, OrchestrationClock clock) : IWorkItemService
{
    private const int MaxPage = 500;
    private readonly DbContext db = orchestration.Context;

    public async Task<Project> CreateProjectAsync(string key, string name, string? description = null, CancellationToken cancellationToken = default)
    {
        WorkItemValidation.Project(key, name, description);
        var now = clock.GetUtcNow();
        var project = new Project { Key = key, Name = name.Trim(), Description = description, CreatedAt = now, UpdatedAt = now };
        if (await db.Set<Project>().AnyAsync(p => p.Key == key, cancellationToken).ConfigureAwait(false))
        {
            throw new DuplicateValueException("project", "key", key);
        }

        return await writes.RunAsync("project.create", LockScope.Work, _ =>
        {
            db.Add(project);
            Events.Append(db, now, OrchestrationEventTypes.ProjectCreated, project.Id, "project", project.Id, null);
            return Task.FromResult(project);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<WorkItem> CreateWorkItemAsync(NewWorkItem item, CancellationToken cancellationToken = default)
    {
        WorkItemValidation.New(item);
        var title = item.Title.Trim();
        var capabilities = WorkItemValidation.Capabilities(item);
        var dependsOn = item.DependsOn.ToArray();

        await RequireProjectAsync(item.ProjectId, cancellationToken).ConfigureAwait(false);
        await EnsureParentAsync(item, cancellationToken).ConfigureAwait(false);
        await EnsureSprintOpenAsync(item, cancellationToken).ConfigureAwait(false);

        var now = clock.GetUtcNow();
        var workItem = ToEntity(item, title, capabilities, now);

        // Into a sprint under the lock sprint changes take, so a sprint completing meanwhile is seen and no work lands in
        // it after.
        var scope = item.SprintId is null ? LockScope.Work : LockScope.Sprints(item.ProjectId);
        return await writes.RunAsync("work_item.create", scope, async ct =>
        {
            if (item.SprintId is { } targetSprint
                && await db.Set<Sprint>().AsNoTracking().AnyAsync(s => s.Id == targetSprint && s.Status == SprintStatus.Completed, ct).ConfigureAwait(false))
            {
                throw new InvalidStateTransitionException("sprint", targetSprint, "completed", "work added", []);
            }

            // Checked inside the write so a dependency's row is read as it is when the item and its edges commit together.
            var awaited = dependsOn.Length == 0
                ? []
                : await db.Set<WorkItem>().AsNoTracking().Where(w => dependsOn.Contains(w.Id))
                    .ToDictionaryAsync(w => w.Id, w => w.ProjectId, ct).ConfigureAwait(false);
            foreach (var dependencyId in dependsOn)
            {
                if (!awaited.TryGetValue(dependencyId, out var dependencyProject))
                {
                    throw new EntityNotFoundException("work item", dependencyId);
                }

                if (dependencyProject != item.ProjectId)
                {
                    throw new ProjectIsolationException($"dependency work item '{dependencyId}'", dependencyProject, item.ProjectId);
                }
            }

            db.Add(workItem);
            Events.Append(db, now, OrchestrationEventTypes.WorkItemCreated, item.ProjectId, "work_item", workItem.Id, null, new EventPayload { To = "todo", WorkItemId = workItem.Id });
            foreach (var dependencyId in dependsOn)
            {
                db.Add(new WorkItemDependency { WorkItemId = workItem.Id, DependsOnId = dependencyId, CreatedAt = now });
                Events.Append(db, now, OrchestrationEventTypes.WorkItemDependencyAdded, item.ProjectId, "work_item", workItem.Id, null, new EventPayload { WorkItemId = dependencyId });
            }

            return workItem;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task AddDependencyAsync(Guid workItemId, Guid dependsOnId, CancellationToken cancellationToken = default)
    {
        WorkItemValidation.Dependency(workItemId, dependsOnId);
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

        // Two concurrent additions could each be acyclic alone and close a cycle together: check and add under one lock.
        await writes.RunAsync("work_item.add_dependency", LockScope.Dependencies(waiting.ProjectId), async ct =>
        {
            if (await db.Set<WorkItemDependency>().AnyAsync(d => d.WorkItemId == workItemId && d.DependsOnId == dependsOnId, ct).ConfigureAwait(false))
            {
                return;
            }

            if (await FindPathAsync(dependsOnId, workItemId, waiting.ProjectId, ct).ConfigureAwait(false) is { } path)
            {
                throw new DependencyCycleException([workItemId, .. path]);
            }

            var now = clock.GetUtcNow();
            db.Add(new WorkItemDependency { WorkItemId = workItemId, DependsOnId = dependsOnId, CreatedAt = now });
            Events.Append(db, now, OrchestrationEventTypes.WorkItemDependencyAdded, waiting.ProjectId, "work_item", workItemId, null, new EventPayload { WorkItemId = dependsOnId });
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> RemoveDependencyAsync(Guid workItemId, Guid dependsOnId, CancellationToken cancellationToken = default)
    {
        WorkItemValidation.Dependency(workItemId, dependsOnId);
        return await writes.RunAsync("work_item.remove_dependency", LockScope.Work, async ct =>
        {
            var dependency = await db.Set<WorkItemDependency>().Include(d => d.WorkItem)
                .SingleOrDefaultAsync(d => d.WorkItemId == workItemId && d.DependsOnId == dependsOnId, ct).ConfigureAwait(false);
            if (dependency is null)
            {
                return false;
            }

            db.Remove(dependency);
            Events.Append(db, clock.GetUtcNow(), OrchestrationEventTypes.WorkItemDependencyRemoved, dependency.WorkItem!.ProjectId, "work_item", workItemId, null, new EventPayload { WorkItemId = dependsOnId });
            return true;
        }, cancellationToken).ConfigureAwait(false);
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

    /// <summary>The parent, if any, exists in the same project and may hold an item of this type.</summary>
    private async Task EnsureParentAsync(NewWorkItem item, CancellationToken cancellationToken)
    {
        if (item.ParentId is not { } parentId)
        {
            return;
        }

        var parent = await db.Set<WorkItem>().AsNoTracking().Where(w => w.Id == parentId).Select(w => new { w.ProjectId, w.Type })
            .SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false) ?? throw new EntityNotFoundException("work item", parentId);
        if (parent.ProjectId != item.ProjectId)
        {
            throw new ProjectIsolationException($"parent work item '{parentId}'", parent.ProjectId, item.ProjectId);
        }

        WorkItemValidation.Parent(item.Type, parentId, parent.Type);
    }

    /// <summary>The sprint, if any, exists in the same project and is not completed (checked again under the sprint lock when saving).</summary>
    private async Task EnsureSprintOpenAsync(NewWorkItem item, CancellationToken cancellationToken)
    {
        if (item.SprintId is not { } sprintId)
        {
            return;
        }

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

    private static WorkItem ToEntity(NewWorkItem item, string title, List<string>? capabilities, DateTimeOffset now)
    {
        return new WorkItem
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
            RequiredCapabilities = capabilities,
            Status = WorkItemStatus.Todo,
            DelegationStatus = DelegationStatus.Unassigned,
            CreatedAt = now,
            UpdatedAt = now,
        };
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
}
