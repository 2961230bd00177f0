namespace AgentOrchestration.Data.Entities;

/// <summary>The lifecycle state of an agent profile, stored as <c>active</c>, <c>inactive</c> or <c>archived</c>.</summary>
public enum AgentStatus
{
    /// <summary>The agent can be assigned work and claim it.</summary>
    Active,

    /// <summary>The agent is paused by an operator and cannot claim new work.</summary>
    Inactive,

    /// <summary>The agent is retired; it keeps its history but can never be assigned again.</summary>
    Archived,
}
