using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Storage;

namespace AgentOrchestration.Data.Claims;

/// <summary>What a provider's one-round-trip completion needs (see <see cref="IOrchestrationProvider.TryCompleteClaimsAsync"/>).</summary>
/// <param name="Leases">The leases to complete, each of a different work item.</param>
/// <param name="Clock">The clock that decides expiries, or <see langword="null"/> when the database server's does.</param>
/// <param name="QaPolicy">The QA gate's policy.</param>
internal sealed record CompletionRequest(IReadOnlyList<WorkLease> Leases, TimeProvider? Clock, QaPolicy QaPolicy);

/// <summary>What a provider's completion and claim in one round trip did (see <see cref="IOrchestrationProvider.TryCompleteAndClaimAsync"/>).</summary>
/// <param name="Completed">Whether the lease was completed; when not, nothing was written (the claim neither).</param>
/// <param name="Rows">The items the claim took after the completion, in claim order (empty when not completed).</param>
internal sealed record CompleteAndClaimResult(bool Completed, IReadOnlyList<ClaimRow> Rows);
