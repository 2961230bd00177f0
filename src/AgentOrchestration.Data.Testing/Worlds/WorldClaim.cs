using AgentOrchestration.Data.Claims;

namespace AgentOrchestration.Data.Testing;

/// <summary>A task an agent of an <see cref="OrchestrationWorld"/> holds.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="AgentId">The agent holding it.</param>
/// <param name="SessionId">The agent's session the claim was made through (its implementing session).</param>
/// <param name="Lease">The lease, to renew, release or complete the task with <see cref="IWorkClaimer"/>.</param>
/// <param name="LockedPaths">The paths the session locked for the task, normalised; empty unless the task is in <see cref="OrchestrationWorld.Locked"/>.</param>
public sealed record WorldClaim(Guid TaskId, Guid AgentId, string SessionId, WorkLease Lease, IReadOnlyList<string> LockedPaths);
