namespace AgentOrchestration.Data;

/// <summary>Thrown when a value that must be unique, such as an agent slug, is already taken.</summary>
public sealed class DuplicateValueException : AgentOrchestrationException
{
    /// <summary>Initializes a new instance of the <see cref="DuplicateValueException"/> class.</summary>
    /// <param name="entityType">The kind of row, such as <c>agent</c>.</param>
    /// <param name="field">The unique field, such as <c>slug</c>.</param>
    /// <param name="value">The value already taken.</param>
    public DuplicateValueException(string entityType, string field, string value)
        : base($"An {entityType} with {field} '{value}' already exists; {field} must be unique.")
    {
        EntityType = entityType;
        Field = field;
        Value = value;
    }

    /// <summary>Gets the kind of row.</summary>
    public string EntityType { get; }

    /// <summary>Gets the unique field.</summary>
    public string Field { get; }

    /// <summary>Gets the value already taken.</summary>
    public string Value { get; }
}
