namespace AgentOrchestration.Data.Claims;

/// <summary>A work item an agent claimed, with its lease.</summary>
/// <param name="Lease">The lease to present on every later write.</param>
/// <param name="ProjectId">The work item's project.</param>
/// <param name="Title">The work item's title.</param>
/// <param name="Priority">The work item's priority, 1 (critical) to 5.</param>
/// <param name="LeaseExpiresAt">When the lease expires unless renewed (UTC), as stored: on PostgreSQL by the server's clock.</param>
public sealed record ClaimedWork(WorkLease Lease, Guid ProjectId, string Title, int Priority, DateTimeOffset LeaseExpiresAt);
