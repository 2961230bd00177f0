namespace AgentOrchestration.Data;

/// <summary>Thrown when a state machine refuses a transition; names the current and requested states and what is allowed.</summary>
public sealed class InvalidStateTransitionException : AgentOrchestrationException
{
    /// <summary>Initializes a new instance of the <see cref="InvalidStateTransitionException"/> class.</summary>
    /// <param name="entityType">The kind of row, such as <c>work item</c>.</param>
    /// <param name="id">The row's identifier.</param>
    /// <param name="current">The stored current state, such as <c>completed</c>.</param>
    /// <param name="requested">The requested state or action.</param>
    /// <param name="allowed">The states reachable from <paramref name="current"/>.</param>
    public InvalidStateTransitionException(string entityType, object id, string current, string requested, IReadOnlyCollection<string> allowed)
        : base($"The {entityType} '{id}' is '{current}' and cannot become '{requested}'. Allowed from '{current}': {(allowed.Count == 0 ? "nothing (final state)" : string.Join(", ", allowed))}.")
    {
        EntityType = entityType;
        Id = id;
        Current = current;
        Requested = requested;
        Allowed = allowed;
    }

    /// <summary>Gets the kind of row.</summary>
    public string EntityType { get; }

    /// <summary>Gets the row's identifier.</summary>
    public object Id { get; }

    /// <summary>Gets the current state.</summary>
    public string Current { get; }

    /// <summary>Gets the requested state or action.</summary>
    public string Requested { get; }

    /// <summary>Gets the states reachable from <see cref="Current"/>.</summary>
    public IReadOnlyCollection<string> Allowed { get; }
}
