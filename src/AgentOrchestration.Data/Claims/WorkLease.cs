namespace AgentOrchestration.Data.Claims;

/// <summary>Proof of a claim: every later write by the holder presents it, and is refused once the lease has passed on.</summary>
/// <param name="WorkItemId">The claimed work item.</param>
/// <param name="AssignmentId">The assignment the claim created.</param>
/// <param name="FencingToken">The fencing token: it grows with every claim of the work item.</param>
public sealed record WorkLease(Guid WorkItemId, Guid AssignmentId, long FencingToken);
