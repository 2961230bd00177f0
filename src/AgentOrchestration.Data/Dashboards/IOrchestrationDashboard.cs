namespace AgentOrchestration.Data.Dashboards;

/// <summary>
/// Read-only dashboard queries over one project. Each call is one SQL command (one round trip), reads without change
/// tracking, and measures ages against this machine's clock (the registered <see cref="TimeProvider"/>, or the clock set
/// with <see cref="AgentOrchestrationBuilder.UseClock"/>), not the database server's: a dashboard only shows. A project (or sprint) that does not exist,
/// or a sprint of another project, gives empty results rather than an error, so no call spends a round trip on checks.
/// </summary>
/// <remarks>
/// Lists are paged with <c>skip</c> (0 or more) and <c>take</c> (1 to <see cref="MaxPageSize"/>) in a stable order; the
/// aggregates return every group at once (there are at most a few dozen).
/// </remarks>
public interface IOrchestrationDashboard
{
    /// <summary>The largest page a list returns.</summary>
    const int MaxPageSize = 500;

    /// <summary>Counts a project's work items (or one sprint's) by workflow status and delegation status, with their estimated and actual hours.</summary>
    /// <param name="projectId">The project.</param>
    /// <param name="sprintId">Only the items planned into this sprint; <see langword="null"/> for the whole project.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>One entry per combination that occurs, ordered by status, then delegation status.</returns>
    Task<IReadOnlyList<WorkStatusCount>> GetWorkByStatusAsync(Guid projectId, Guid? sprintId = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lists the agents holding work in a project (or sprint) now: per agent, its active assignments (assigned, started or
    /// paused, whose lease has not expired or who have no lease) and the summed estimated and actual hours of the held items.
    /// </summary>
    /// <param name="projectId">The project.</param>
    /// <param name="sprintId">Only work planned into this sprint; <see langword="null"/> for the whole project.</param>
    /// <param name="skip">How many agents to skip, 0 or more.</param>
    /// <param name="take">How many agents to return, 1 to <see cref="MaxPageSize"/>.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The page of agents, most active assignments first, then by slug. Agents holding nothing are not listed.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="skip"/> is negative or <paramref name="take"/> is outside 1 to <see cref="MaxPageSize"/>.</exception>
    Task<IReadOnlyList<AgentWorkload>> GetAgentWorkloadAsync(Guid projectId, Guid? sprintId = null, int skip = 0, int take = 50, CancellationToken cancellationToken = default);

    /// <summary>Lists a project's active and paused sessions with their current action, heartbeat age and unexpired file locks.</summary>
    /// <param name="projectId">The project.</param>
    /// <param name="skip">How many sessions to skip, 0 or more.</param>
    /// <param name="take">How many sessions to return, 1 to <see cref="MaxPageSize"/>.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The page of sessions, oldest start first.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="skip"/> is negative or <paramref name="take"/> is outside 1 to <see cref="MaxPageSize"/>.</exception>
    Task<IReadOnlyList<LiveSession>> GetActiveSessionsAsync(Guid projectId, int skip = 0, int take = 50, CancellationToken cancellationToken = default);

    /// <summary>Counts the QA results recorded for a project's tasks (or one sprint's) by QA type and outcome.</summary>
    /// <param name="projectId">The project.</param>
    /// <param name="sprintId">Only results of tasks planned into this sprint; <see langword="null"/> for the whole project.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>One entry per QA type, in the order of <see cref="Entities.QaType"/>; types without results have zero counts.</returns>
    Task<IReadOnlyList<QaPassRate>> GetQaPassRatesAsync(Guid projectId, Guid? sprintId = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lists a project's (or sprint's) work that needs attention: items that are blocked (workflow or delegation status),
    /// and items under way (workflow status in progress, in review or blocked, or delegation status assigned, in progress
    /// or blocked; never done or cancelled ones) that have not changed for longer than <paramref name="staleAfter"/>.
    /// </summary>
    /// <param name="projectId">The project.</param>
    /// <param name="staleAfter">How long an item under way may go without a change before it counts as stale; more than zero.</param>
    /// <param name="sprintId">Only items planned into this sprint; <see langword="null"/> for the whole project.</param>
    /// <param name="skip">How many items to skip, 0 or more.</param>
    /// <param name="take">How many items to return, 1 to <see cref="MaxPageSize"/>.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The page of items, longest unchanged first.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="staleAfter"/> is zero or negative, <paramref name="skip"/> is negative or <paramref name="take"/> is outside 1 to <see cref="MaxPageSize"/>.</exception>
    Task<IReadOnlyList<StalledWorkItem>> GetBlockedAndStaleWorkAsync(Guid projectId, TimeSpan staleAfter, Guid? sprintId = null, int skip = 0, int take = 50, CancellationToken cancellationToken = default);

    /// <summary>Lists a project's latest events, newest first.</summary>
    /// <param name="projectId">The project.</param>
    /// <param name="skip">How many events to skip, 0 or more.</param>
    /// <param name="take">How many events to return, 1 to <see cref="MaxPageSize"/>.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The page of events by descending sequence.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="skip"/> is negative or <paramref name="take"/> is outside 1 to <see cref="MaxPageSize"/>.</exception>
    /// <remarks>This is a view for display. To follow the log without missing events that commit late, use the event feed, which pages by sequence safely.</remarks>
    Task<IReadOnlyList<RecentEvent>> GetRecentEventsAsync(Guid projectId, int skip = 0, int take = 50, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads a whole project dashboard at once: every aggregate and the first <paramref name="take"/> entries of every list,
    /// measured against one reading of the clock, through one open connection (one command per part, six in all).
    /// </summary>
    /// <param name="projectId">The project.</param>
    /// <param name="staleAfter">How long an item under way may go without a change before it counts as stale; more than zero.</param>
    /// <param name="sprintId">Narrows work by status, workload, QA pass rates and blocked and stale work to this sprint; sessions and events stay project-wide.</param>
    /// <param name="take">How many entries each list holds, 1 to <see cref="MaxPageSize"/>.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The snapshot.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="staleAfter"/> is zero or negative, or <paramref name="take"/> is outside 1 to <see cref="MaxPageSize"/>.</exception>
    /// <remarks>The parts are read one after another, each consistent in itself; a change committed in between can show in a later part only.</remarks>
    Task<DashboardSnapshot> GetSnapshotAsync(Guid projectId, TimeSpan staleAfter, Guid? sprintId = null, int take = 50, CancellationToken cancellationToken = default);
}
