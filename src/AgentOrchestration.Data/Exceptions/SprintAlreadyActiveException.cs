namespace AgentOrchestration.Data;

/// <summary>Thrown when a sprint is started while another sprint of the same project is active: a project runs one sprint at a time.</summary>
public sealed class SprintAlreadyActiveException : AgentOrchestrationException
{
    /// <summary>Initializes a new instance of the <see cref="SprintAlreadyActiveException"/> class.</summary>
    /// <param name="projectId">The project.</param>
    /// <param name="requestedSprintId">The sprint that was refused.</param>
    /// <param name="activeSprintId">The project's active sprint.</param>
    /// <param name="activeSprintName">The active sprint's name.</param>
    public SprintAlreadyActiveException(Guid projectId, Guid requestedSprintId, Guid activeSprintId, string activeSprintName)
        : base($"The sprint '{requestedSprintId}' cannot start: sprint '{activeSprintName}' ('{activeSprintId}') is already active in project '{projectId}', and a project has at most one active sprint. Complete it first.")
    {
        ProjectId = projectId;
        RequestedSprintId = requestedSprintId;
        ActiveSprintId = activeSprintId;
        ActiveSprintName = activeSprintName;
    }

    /// <summary>Gets the project.</summary>
    public Guid ProjectId { get; }

    /// <summary>Gets the sprint that was refused.</summary>
    public Guid RequestedSprintId { get; }

    /// <summary>Gets the project's active sprint.</summary>
    public Guid ActiveSprintId { get; }

    /// <summary>Gets the active sprint's name.</summary>
    public string ActiveSprintName { get; }
}
