namespace AgentOrchestration.Data;

/// <summary>
/// Thrown when a library write is called inside a caller's transaction whose isolation level it cannot keep its
/// guarantees under: on PostgreSQL every write decides on rows it reads after taking a lock, which only READ COMMITTED
/// reads at their newest committed version (a REPEATABLE READ or SERIALIZABLE snapshot is older, so for example an
/// agent's concurrency limit would be counted on stale rows); on SQLite a deferred transaction whose snapshot is older
/// than another writer's commit cannot take the write lock. Nothing was read or written; the caller's transaction is
/// still usable.
/// </summary>
public sealed class UnsupportedIsolationLevelException : AgentOrchestrationException
{
    /// <summary>Initializes a new instance of the <see cref="UnsupportedIsolationLevelException"/> class.</summary>
    /// <param name="isolationLevel">The caller's isolation level, as the database names it (such as <c>repeatable read</c>).</param>
    /// <param name="supported">The isolation levels the operation supports.</param>
    public UnsupportedIsolationLevelException(string isolationLevel, IReadOnlyList<string> supported)
        : base($"The caller's transaction runs at isolation level '{isolationLevel}'; library writes joining a transaction support only {string.Join(" or ", supported.Select(s => $"'{s}'"))} on this database. Call it outside the transaction, or in one at a supported level.")
    {
        IsolationLevel = isolationLevel;
        Supported = supported;
    }

    /// <summary>Gets the caller's isolation level, as the database names it.</summary>
    public string IsolationLevel { get; }

    /// <summary>Gets the isolation levels the operation supports.</summary>
    public IReadOnlyList<string> Supported { get; }
}
