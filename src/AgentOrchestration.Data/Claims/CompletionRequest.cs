using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Storage;

namespace AgentOrchestration.Data.Claims;

/// <summary>What a provider's one-round-trip completion needs (see <see cref="IOrchestrationProvider.TryCompleteClaimsAsync"/>).</summary>
/// <param name="Leases">The leases to complete, each of a different work item.</param>
/// <param name="Clock">The clock that decides expiries, or <see langword="null"/> when the database server's does.</param>
/// <param name="QaPolicy">The QA gate's policy.</param>
internal sealed record CompletionRequest(IReadOnlyList<WorkLease> Leases, TimeProvider? Clock, QaPolicy QaPolicy);
