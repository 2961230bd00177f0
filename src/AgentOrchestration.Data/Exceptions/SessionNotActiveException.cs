using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;

namespace AgentOrchestration.Data;

/// <summary>Thrown when an operation that needs an active session, such as taking file locks, names a session in another state.</summary>
public sealed class SessionNotActiveException : AgentOrchestrationException
{
    /// <summary>Initializes a new instance of the <see cref="SessionNotActiveException"/> class.</summary>
    /// <param name="sessionId">The session key.</param>
    /// <param name="status">The session's stored status.</param>
    /// <param name="operation">What was refused, such as <c>acquire file locks</c>.</param>
    public SessionNotActiveException(string sessionId, SessionStatus status, string operation)
        : base($"The session '{sessionId}' is '{Stored(status)}', so it cannot {operation}; only an 'active' session can{(status == SessionStatus.Paused ? " (resume it first)" : string.Empty)}.")
    {
        SessionId = sessionId;
        Status = status;
        Operation = operation;
    }

    /// <summary>Gets the session key.</summary>
    public string SessionId { get; }

    /// <summary>Gets the session's status.</summary>
    public SessionStatus Status { get; }

    /// <summary>Gets what was refused.</summary>
    public string Operation { get; }

    private static string Stored(SessionStatus status) => Modeling.StoredEnum.ToStore(status);
}
