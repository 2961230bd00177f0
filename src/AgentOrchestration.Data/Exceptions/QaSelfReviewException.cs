namespace AgentOrchestration.Data;

/// <summary>Thrown when the session implementing a task tries to record or start its QA: QA must come from another session.</summary>
public sealed class QaSelfReviewException : AgentOrchestrationException
{
    /// <summary>Initializes a new instance of the <see cref="QaSelfReviewException"/> class.</summary>
    /// <param name="workItemId">The task or bug.</param>
    /// <param name="sessionId">The session that implements it.</param>
    public QaSelfReviewException(Guid workItemId, string sessionId)
        : base($"The session '{sessionId}' implements the work item '{workItemId}', so it cannot review it; a QA result must come from another session.")
    {
        WorkItemId = workItemId;
        SessionId = sessionId;
    }

    /// <summary>Gets the task or bug.</summary>
    public Guid WorkItemId { get; }

    /// <summary>Gets the implementing session that tried to review its own work.</summary>
    public string SessionId { get; }
}
