using AgentOrchestration.Data.Sessions;

namespace AgentOrchestration.Data.Testing;

/// <summary>The arguments of <see cref="ISessionService.HeartbeatAsync"/> as one value, so a factory can make it and a test can change one of them with <c>with</c>.</summary>
/// <param name="SessionId">The active or paused session.</param>
/// <param name="CurrentAction">What the agent is doing now; <see langword="null"/> leaves the recorded action as it is.</param>
/// <param name="LeaseDuration">How long the session's held leases are extended; <see langword="null"/> for the library's default.</param>
public sealed record HeartbeatRequest(string SessionId, string? CurrentAction = null, TimeSpan? LeaseDuration = null);
