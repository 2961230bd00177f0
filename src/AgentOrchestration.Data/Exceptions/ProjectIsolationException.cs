namespace AgentOrchestration.Data;

/// <summary>Thrown when an operation would cross projects, such as a session of one project locking files of another.</summary>
public sealed class ProjectIsolationException : AgentOrchestrationException
{
    /// <summary>Initializes a new instance of the <see cref="ProjectIsolationException"/> class.</summary>
    /// <param name="subject">What acts, such as <c>session 's-1'</c>.</param>
    /// <param name="subjectProjectId">The project it belongs to.</param>
    /// <param name="targetProjectId">The project of what it acted on.</param>
    public ProjectIsolationException(string subject, Guid subjectProjectId, Guid targetProjectId)
        : base($"The {subject} belongs to project '{subjectProjectId}' and cannot act in project '{targetProjectId}'.")
    {
        SubjectProjectId = subjectProjectId;
        TargetProjectId = targetProjectId;
    }

    /// <summary>Gets the project the subject belongs to.</summary>
    public Guid SubjectProjectId { get; }

    /// <summary>Gets the project it tried to act in.</summary>
    public Guid TargetProjectId { get; }
}
