using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Locks;

/// <summary>A file lock as the lock service reports it: granted, renewed, released or live.</summary>
public sealed class FileLockInfo
{
    internal FileLockInfo(FileLock row, Guid? agentId)
    {
        Id = row.Id;
        ProjectId = row.ProjectId;
        Path = row.FilePath;
        LockType = row.LockType;
        SessionId = row.LockedBySession;
        AgentId = agentId;
        AcquiredAt = row.AcquiredAt;
        ExpiresAt = row.ExpiresAt;
    }

    /// <summary>Gets the lock's identifier (<c>file_locks.id</c>).</summary>
    public Guid Id { get; }

    /// <summary>Gets the project the path belongs to.</summary>
    public Guid ProjectId { get; }

    /// <summary>Gets the normalised path or pattern, such as <c>src/app.cs</c> or <c>src/**</c>.</summary>
    public string Path { get; }

    /// <summary>Gets the mode.</summary>
    public FileLockType LockType { get; }

    /// <summary>Gets the holder's session key (<see cref="AgentSession.SessionId"/>).</summary>
    public string SessionId { get; }

    /// <summary>Gets the agent profile running the holder's session, if known.</summary>
    public Guid? AgentId { get; }

    /// <summary>Gets when the lock was first taken (UTC); re-acquiring keeps it.</summary>
    public DateTimeOffset AcquiredAt { get; }

    /// <summary>Gets when the lock expires (UTC); <see langword="null"/> for a lock written without a TTL, which never expires.</summary>
    public DateTimeOffset? ExpiresAt { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Path} ({LockType.ToString().ToLowerInvariant()}, session '{SessionId}', {(ExpiresAt is { } at ? $"until {at:O}" : "no expiry")})";
}
