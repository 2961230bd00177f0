using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Work;

namespace AgentOrchestration.Data.Testing;

/// <summary>Passes the request values of <see cref="OrchestrationFaker"/> that bundle a method's arguments to the method they are for.</summary>
public static class RequestExtensions
{
    /// <summary>Creates the project <paramref name="request"/> describes, through <see cref="IWorkItemService.CreateProjectAsync"/>.</summary>
    /// <param name="work">The work item service.</param>
    /// <param name="request">The project's key, name and description.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The stored project.</returns>
    public static Task<Project> CreateProjectAsync(this IWorkItemService work, ProjectRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(request);
        return work.CreateProjectAsync(request.Key, request.Name, request.Description, cancellationToken);
    }

    /// <summary>Adds the dependency <paramref name="request"/> describes, through <see cref="IWorkItemService.AddDependencyAsync"/>.</summary>
    /// <param name="work">The work item service.</param>
    /// <param name="request">The waiting item and the item it waits on.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A task that completes when the dependency is stored.</returns>
    public static Task AddDependencyAsync(this IWorkItemService work, DependencyRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(request);
        return work.AddDependencyAsync(request.WorkItemId, request.DependsOnId, cancellationToken);
    }

    /// <summary>Takes the locks <paramref name="request"/> describes, through <see cref="IFileLockService.AcquireAsync"/>.</summary>
    /// <param name="locks">The file lock service.</param>
    /// <param name="request">The session, paths, lock type and time-to-live.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The locks now held for the paths.</returns>
    public static Task<IReadOnlyList<FileLockInfo>> AcquireAsync(this IFileLockService locks, LockRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(locks);
        ArgumentNullException.ThrowIfNull(request);
        return locks.AcquireAsync(request.SessionId, [.. request.Paths], request.LockType, request.Ttl, cancellationToken);
    }

    /// <summary>Sends the heartbeat <paramref name="request"/> describes, through <see cref="ISessionService.HeartbeatAsync"/>.</summary>
    /// <param name="sessions">The session service.</param>
    /// <param name="request">The session, its current action and the lease extension.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The session as stored after the heartbeat.</returns>
    public static Task<AgentSession> HeartbeatAsync(this ISessionService sessions, HeartbeatRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(request);
        return sessions.HeartbeatAsync(request.SessionId, request.CurrentAction, request.LeaseDuration, cancellationToken);
    }
}
