using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Agents;

/// <summary>Registers agent profiles and manages their capabilities and status (active, inactive, archived).</summary>
public interface IAgentRegistry
{
    /// <summary>Registers a new agent profile with its capabilities.</summary>
    /// <param name="registration">The profile to register.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The stored profile.</returns>
    /// <exception cref="ArgumentException">A value is missing, too long or malformed (the message names it and what is allowed).</exception>
    /// <exception cref="DuplicateValueException">The slug is taken.</exception>
    Task<AgentProfile> RegisterAsync(AgentRegistration registration, CancellationToken cancellationToken = default);

    /// <summary>Gets an agent profile with its capabilities.</summary>
    /// <param name="slug">The agent's slug.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The profile.</returns>
    /// <exception cref="EntityNotFoundException">No agent has that slug.</exception>
    Task<AgentProfile> GetAsync(string slug, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gets an agent profile with its capabilities by its identifier: claims, sessions and delegations name agents by
    /// <see cref="AgentProfile.Id"/>, the registry's other calls by slug.
    /// </summary>
    /// <param name="agentId">The agent's identifier.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The profile (not tracked).</returns>
    /// <exception cref="EntityNotFoundException">No agent has that identifier.</exception>
    Task<AgentProfile> GetByIdAsync(Guid agentId, CancellationToken cancellationToken = default);

    /// <summary>Updates an agent's descriptive values (name, type, mode, description, constraints, tools, metadata).</summary>
    /// <param name="slug">The agent's slug.</param>
    /// <param name="update">The values to change; <see langword="null"/> ones are kept.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The updated profile.</returns>
    /// <exception cref="ArgumentException">A value is empty or too long.</exception>
    /// <exception cref="InvalidStateTransitionException">The agent is archived: its profile is frozen.</exception>
    Task<AgentProfile> UpdateAsync(string slug, AgentProfileUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Replaces an agent's capabilities (the JSON list and the normalised rows claims match on).</summary>
    /// <param name="slug">The agent's slug.</param>
    /// <param name="capabilities">The new capabilities.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The updated profile.</returns>
    Task<AgentProfile> SetCapabilitiesAsync(string slug, IReadOnlyCollection<CapabilityEntry> capabilities, CancellationToken cancellationToken = default);

    /// <summary>Changes how many assignments the agent may hold at once.</summary>
    /// <param name="slug">The agent's slug.</param>
    /// <param name="maxConcurrentTasks">The new limit, 1 to 1000.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The updated profile.</returns>
    Task<AgentProfile> SetConcurrencyLimitAsync(string slug, int maxConcurrentTasks, CancellationToken cancellationToken = default);

    /// <summary>Reactivates an inactive agent.</summary>
    /// <param name="slug">The agent's slug.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The updated profile.</returns>
    /// <exception cref="InvalidStateTransitionException">The agent is archived.</exception>
    Task<AgentProfile> ActivateAsync(string slug, CancellationToken cancellationToken = default);

    /// <summary>Deactivates an agent: it keeps its assignments but cannot claim or be assigned new work.</summary>
    /// <param name="slug">The agent's slug.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The updated profile.</returns>
    /// <exception cref="InvalidStateTransitionException">The agent is archived.</exception>
    Task<AgentProfile> DeactivateAsync(string slug, CancellationToken cancellationToken = default);

    /// <summary>Archives an agent for good: it keeps its history and can never be assigned or claim again.</summary>
    /// <param name="slug">The agent's slug.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The updated profile.</returns>
    Task<AgentProfile> ArchiveAsync(string slug, CancellationToken cancellationToken = default);
}
