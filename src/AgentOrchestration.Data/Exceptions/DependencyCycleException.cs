namespace AgentOrchestration.Data;

/// <summary>Thrown when a new dependency would close a cycle; <see cref="Path"/> is the cycle it would close.</summary>
public sealed class DependencyCycleException : AgentOrchestrationException
{
    /// <summary>Initializes a new instance of the <see cref="DependencyCycleException"/> class.</summary>
    /// <param name="path">The work items of the cycle, starting and ending with the same item.</param>
    public DependencyCycleException(IReadOnlyList<Guid> path)
        : base($"The dependency would close a cycle: {string.Join(" -> ", path)}. Dependencies must form no cycle.")
    {
        Path = path;
    }

    /// <summary>Gets the work items of the cycle, starting and ending with the same item.</summary>
    public IReadOnlyList<Guid> Path { get; }
}
