namespace AgentOrchestration.Data.Testing;

/// <summary>An agent of an <see cref="OrchestrationWorld"/>.</summary>
/// <param name="Id">The agent's identifier.</param>
/// <param name="Slug">The agent's slug.</param>
/// <param name="SessionId">The key of the agent's active session in the world's project.</param>
/// <param name="Capabilities">The agent's capabilities.</param>
public sealed record WorldAgent(Guid Id, string Slug, string SessionId, IReadOnlyList<string> Capabilities);
