namespace AgentOrchestration.Data.Entities;

/// <summary>A lock a session holds on a project-relative path or pattern (table <c>file_locks</c>).</summary>
public class FileLock
{
    /// <summary>Gets or sets the identifier (UUID v7).</summary>
    public Guid Id { get; set; }

    /// <summary>Gets or sets the project the path belongs to.</summary>
    public Guid ProjectId { get; set; }

    /// <summary>Gets or sets the normalised project-relative path or pattern, such as <c>src/app.cs</c> or <c>src/**</c>.</summary>
    public string FilePath { get; set; } = null!;

    /// <summary>Gets or sets the <see cref="AgentSession.SessionId"/> of the holder.</summary>
    public string LockedBySession { get; set; } = null!;

    /// <summary>Gets or sets the mode; <see cref="FileLockType.Exclusive"/> by default.</summary>
    public FileLockType LockType { get; set; }

    /// <summary>Gets or sets when the lock was taken (UTC; column <c>timestamp</c>).</summary>
    public DateTimeOffset AcquiredAt { get; set; }

    /// <summary>Gets or sets when the lock expires (UTC); an expired lock never blocks.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>Gets or sets the project.</summary>
    public Project? Project { get; set; }

    /// <summary>Gets or sets the holding session.</summary>
    public AgentSession? Session { get; set; }
}
