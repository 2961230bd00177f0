namespace AgentOrchestration.Data;

/// <summary>How hard SQLite syncs a commit to disk (its <c>PRAGMA synchronous</c>), in write-ahead-log mode, which the library always uses.</summary>
public enum SqliteSynchronous
{
    /// <summary>
    /// The default: the log is synced at checkpoints, not at every commit. Safe from corruption and from a crash of the
    /// process; after a power loss or an OS crash the last commits may be lost (never half of one).
    /// </summary>
    Normal,

    /// <summary>Every commit is synced before it returns: it survives a power loss too, at the cost of one disk sync per write.</summary>
    Full,
}
