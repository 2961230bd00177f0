namespace AgentOrchestration.Data.Faults;

/// <summary>What an exception a database call threw is, for the retry policy.</summary>
internal enum FaultKind
{
    /// <summary>Not a fault of the connection or server (a bug, a constraint, a refusal): it reaches the caller as it is.</summary>
    None,

    /// <summary>A fault of the connection or server that a later attempt may not meet.</summary>
    Transient,

    /// <summary>A fault of the connection or server that already waited as long as the caller allowed (SQLite busy beyond its timeout): reported, not retried.</summary>
    TransientExhausted,
}
