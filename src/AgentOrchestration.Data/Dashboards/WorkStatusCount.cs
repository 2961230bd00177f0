using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Dashboards;

/// <summary>How many work items of a project (or sprint) share one workflow status and one delegation status, and their hours.</summary>
/// <param name="Status">The workflow status.</param>
/// <param name="DelegationStatus">The delegation status.</param>
/// <param name="Count">How many items have both.</param>
/// <param name="EstimatedHours">The sum of their estimated hours (items without an estimate count as 0).</param>
/// <param name="ActualHours">The sum of their actual hours (items without any count as 0).</param>
public sealed record WorkStatusCount(WorkItemStatus Status, DelegationStatus DelegationStatus, int Count, decimal EstimatedHours, decimal ActualHours);
