using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Locks;

/// <summary>A live lock of another session that stands in the way of a requested path: who holds what, and until when.</summary>
public sealed class FileLockConflict
{
    internal FileLockConflict(string requestedPath, FileLockType requestedType, FileLockInfo held)
    {
        RequestedPath = requestedPath;
        RequestedType = requestedType;
        HeldPath = held.Path;
        HeldType = held.LockType;
        HolderSessionId = held.SessionId;
        HolderAgentId = held.AgentId;
        ExpiresAt = held.ExpiresAt;
        HeldLockId = held.Id;
    }

    /// <summary>Gets the requested path or pattern, normalised.</summary>
    public string RequestedPath { get; }

    /// <summary>Gets the requested mode (<see cref="FileLockType.Exclusive"/> for a write check).</summary>
    public FileLockType RequestedType { get; }

    /// <summary>Gets the path or pattern of the lock in the way.</summary>
    public string HeldPath { get; }

    /// <summary>Gets the mode of the lock in the way.</summary>
    public FileLockType HeldType { get; }

    /// <summary>Gets the session holding the lock in the way.</summary>
    public string HolderSessionId { get; }

    /// <summary>Gets the agent profile running the holder's session, if known.</summary>
    public Guid? HolderAgentId { get; }

    /// <summary>Gets when the lock in the way expires (UTC); <see langword="null"/> if it never does.</summary>
    public DateTimeOffset? ExpiresAt { get; }

    /// <summary>Gets the identifier of the lock in the way.</summary>
    public Guid HeldLockId { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"'{RequestedPath}' ({Mode(RequestedType)}) is blocked by '{HeldPath}' held {Mode(HeldType)} by session '{HolderSessionId}'"
        + (HolderAgentId is { } agent ? $" (agent {agent})" : string.Empty)
        + (ExpiresAt is { } at ? $" until {at:O}" : " with no expiry");

    private static string Mode(FileLockType type) => type == FileLockType.Exclusive ? "exclusive" : "shared";
}
