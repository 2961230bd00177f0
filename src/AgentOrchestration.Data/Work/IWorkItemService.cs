using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Work;

/// <summary>Creates projects and work items, manages dependencies between items, and lists ready work.</summary>
public interface IWorkItemService
{
    /// <summary>Creates a project.</summary>
    /// <param name="key">The unique key: lowercase letters and digits in groups joined by single dashes, at most 64 characters.</param>
    /// <param name="name">The display name (1 to 200 characters).</param>
    /// <param name="description">An optional description.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The stored project.</returns>
    /// <exception cref="DuplicateValueException">The key is taken.</exception>
    Task<Project> CreateProjectAsync(string key, string name, string? description = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates an epic, story, task or bug, with its dependencies (<see cref="NewWorkItem.DependsOn"/>) in the same
    /// transaction: no claim sees the item without them, and a refusal writes nothing.
    /// </summary>
    /// <param name="item">The item to create.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The stored item, <see cref="WorkItemStatus.Todo"/> and <see cref="DelegationStatus.Unassigned"/>.</returns>
    /// <exception cref="EntityNotFoundException">The project, parent, sprint or a dependency does not exist.</exception>
    /// <exception cref="ProjectIsolationException">The parent, sprint or a dependency belongs to another project.</exception>
    /// <exception cref="InvalidStateTransitionException">The sprint is completed.</exception>
    Task<WorkItem> CreateWorkItemAsync(NewWorkItem item, CancellationToken cancellationToken = default);

    /// <summary>Makes <paramref name="workItemId"/> wait until <paramref name="dependsOnId"/> is done.</summary>
    /// <param name="workItemId">The item that waits.</param>
    /// <param name="dependsOnId">The item it waits on; same project.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A task that completes when the dependency is stored (adding an existing one changes nothing).</returns>
    /// <exception cref="DependencyCycleException">The dependency would close a cycle; the exception carries the path.</exception>
    Task AddDependencyAsync(Guid workItemId, Guid dependsOnId, CancellationToken cancellationToken = default);

    /// <summary>Removes a dependency.</summary>
    /// <param name="workItemId">The item that waits.</param>
    /// <param name="dependsOnId">The item it waits on.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns><see langword="true"/> if a dependency was removed.</returns>
    Task<bool> RemoveDependencyAsync(Guid workItemId, Guid dependsOnId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads one work item (not tracked), as stored now: for example to learn whether a completion landed after a call
    /// whose outcome the caller did not see.
    /// </summary>
    /// <param name="workItemId">The work item's identifier.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The work item, or <see langword="null"/> when none has the identifier.</returns>
    Task<WorkItem?> GetWorkItemAsync(Guid workItemId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lists a project's ready work, highest priority first: tasks and bugs that are <c>todo</c> and unassigned and
    /// whose dependencies are all done.
    /// </summary>
    /// <param name="projectId">The project.</param>
    /// <param name="skip">How many items to skip (paging), 0 or more.</param>
    /// <param name="take">How many items to return, 1 to 500.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The page of ready items, untracked.</returns>
    Task<IReadOnlyList<WorkItem>> GetReadyWorkAsync(Guid projectId, int skip = 0, int take = 50, CancellationToken cancellationToken = default);
}
