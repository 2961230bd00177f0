using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Delegation;

/// <summary>Who a work item is delegated to: an agent profile or a host user.</summary>
/// <param name="Type">Agent or user.</param>
/// <param name="Id">The agent profile's id, or the host user's id.</param>
public sealed record Assignee(AssigneeType Type, Guid Id)
{
    /// <summary>An agent profile of this library; it must exist and be active.</summary>
    /// <param name="agentId">The agent's id.</param>
    /// <returns>The assignee.</returns>
    public static Assignee Agent(Guid agentId) => new(AssigneeType.Agent, agentId);

    /// <summary>A user of the host application (not checked: the host owns its users).</summary>
    /// <param name="userId">The user's id.</param>
    /// <returns>The assignee.</returns>
    public static Assignee User(Guid userId) => new(AssigneeType.User, userId);
}
