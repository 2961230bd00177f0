using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Sessions;

/// <summary>The rules for a session that claims or is assigned work to implement (recorded in <c>work_items.assigned_agent_session</c>).</summary>
internal static class ImplementingSession
{
    /// <summary>
    /// Refuses a session that does not exist, is not active, works in another project, or runs for another agent than
    /// <paramref name="agentId"/> (the holder; <see langword="null"/> for a host user, whom only agentless sessions serve).
    /// </summary>
    public static AgentSession Ensure(AgentSession? session, string sessionId, Guid projectId, Guid? agentId)
    {
        if (session is null)
        {
            throw new EntityNotFoundException("session", sessionId);
        }

        if (session.Status != SessionStatus.Active)
        {
            throw new SessionNotActiveException(sessionId, session.Status, "implement work");
        }

        if (session.ProjectId != projectId)
        {
            throw new ProjectIsolationException($"session '{sessionId}'", session.ProjectId, projectId);
        }

        if (session.AgentId is { } owner && owner != agentId)
        {
            throw new ArgumentException(
                $"The session '{sessionId}' runs for agent '{owner}', so it cannot implement work held by {(agentId is { } holder ? $"agent '{holder}'" : "a user")}; use a session of the holder or one without an agent.",
                nameof(sessionId));
        }

        return session;
    }
}
