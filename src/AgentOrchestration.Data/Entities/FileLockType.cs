namespace AgentOrchestration.Data.Entities;

/// <summary>The mode of a file lock, stored as <c>exclusive</c> or <c>shared</c>.</summary>
public enum FileLockType
{
    /// <summary>No other session may hold the path.</summary>
    Exclusive,

    /// <summary>Other sessions may hold shared locks on the path.</summary>
    Shared,
}
