using System.Linq.Expressions;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;

namespace AgentOrchestration.Data.Sessions;

/// <summary>
/// "A session may implement this": the rule for a session that claims or is assigned work to implement (recorded in
/// <c>work_items.assigned_agent_session</c>), in each form it runs in, side by side: LINQ (the agreement tests' reference), SQL (the
/// claim statements of both providers) and the refusal that names what failed (<see cref="Ensure"/>: assignments, and a claim
/// that came back empty). <c>Claims/ReadyWorkAgreementTests</c> fails when the forms disagree.
/// </summary>
/// <remarks>
/// The session is active, works in the project, and runs for the holder or for no agent (a session without an agent
/// serves anyone; a host user holding work is served only by such a session).
/// </remarks>
internal static class ImplementingSession
{
    /// <summary>The rule as LINQ, for <paramref name="agentId"/> (the holder; <see langword="null"/> for a host user) in <paramref name="projectId"/>.</summary>
    public static Expression<Func<AgentSession, bool>> MayImplement(Guid projectId, Guid? agentId) =>
        s => s.Status == SessionStatus.Active && s.ProjectId == projectId && (s.AgentId == null || s.AgentId == agentId);

    /// <summary>The rule as SQL, for the session row <paramref name="s"/> and SQL expressions of the project and the holder.</summary>
    public static string MayImplementSql(StoreNames n, string s, string projectId, string agentId) =>
        $"{s}.{S(n, "Status")} = {ReadyWorkRule.Literal(SessionStatus.Active)} AND {s}.{S(n, "ProjectId")} = {projectId}"
        + $" AND ({s}.{S(n, "AgentId")} IS NULL OR {s}.{S(n, "AgentId")} = {agentId})";

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

    private static string S(StoreNames n, string property) => n.Column<AgentSession>(property);
}
