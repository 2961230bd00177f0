namespace AgentOrchestration.Data;

/// <summary>Thrown when an operation names a row that does not exist (or not in the caller's project).</summary>
public sealed class EntityNotFoundException : AgentOrchestrationException
{
    /// <summary>Initializes a new instance of the <see cref="EntityNotFoundException"/> class.</summary>
    /// <param name="entityType">The kind of row, such as <c>agent</c>.</param>
    /// <param name="key">The identifier or key that matched nothing.</param>
    public EntityNotFoundException(string entityType, object key)
        : base($"No {entityType} '{key}' exists.")
    {
        EntityType = entityType;
        Key = key;
    }

    /// <summary>Gets the kind of row.</summary>
    public string EntityType { get; }

    /// <summary>Gets the identifier or key that matched nothing.</summary>
    public object Key { get; }
}
