namespace AgentOrchestration.Data.Dashboards;

/// <summary>Everything a project dashboard shows, read in one call: the first page of each list and every aggregate.</summary>
/// <param name="TakenAt">The registered clock's time the snapshot measured ages, leases and staleness against (UTC).</param>
/// <param name="WorkByStatus">Work items by workflow and delegation status, as <see cref="IOrchestrationDashboard.GetWorkByStatusAsync"/> returns them.</param>
/// <param name="AgentWorkload">The first page of agent workload, as <see cref="IOrchestrationDashboard.GetAgentWorkloadAsync"/> returns it.</param>
/// <param name="ActiveSessions">The first page of live sessions, as <see cref="IOrchestrationDashboard.GetActiveSessionsAsync"/> returns it.</param>
/// <param name="QaPassRates">QA outcomes per type, as <see cref="IOrchestrationDashboard.GetQaPassRatesAsync"/> returns them.</param>
/// <param name="BlockedAndStaleWork">The first page of blocked and stale work, as <see cref="IOrchestrationDashboard.GetBlockedAndStaleWorkAsync"/> returns it.</param>
/// <param name="RecentEvents">The first page of recent events, as <see cref="IOrchestrationDashboard.GetRecentEventsAsync"/> returns it.</param>
public sealed record DashboardSnapshot(
    DateTimeOffset TakenAt,
    IReadOnlyList<WorkStatusCount> WorkByStatus,
    IReadOnlyList<AgentWorkload> AgentWorkload,
    IReadOnlyList<LiveSession> ActiveSessions,
    IReadOnlyList<QaPassRate> QaPassRates,
    IReadOnlyList<StalledWorkItem> BlockedAndStaleWork,
    IReadOnlyList<RecentEvent> RecentEvents);
