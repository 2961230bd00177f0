namespace AgentOrchestration.Data.Entities;

/// <summary>A lock as listed on its session (an element of the JSON array <c>agent_sessions.file_locks</c>).</summary>
public class SessionFileLock
{
    /// <summary>Gets or sets the normalised path or pattern.</summary>
    public string Path { get; set; } = null!;

    /// <summary>Gets or sets the mode.</summary>
    public FileLockType LockType { get; set; }

    /// <summary>Gets or sets when the lock expires (UTC).</summary>
    public DateTimeOffset? ExpiresAt { get; set; }
}
