using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Dashboards;

/// <summary>A file lock a session holds that has not expired.</summary>
/// <param name="FilePath">The normalised project-relative path or pattern.</param>
/// <param name="LockType">Exclusive or shared.</param>
/// <param name="AcquiredAt">When the lock was taken (UTC).</param>
/// <param name="ExpiresAt">When the lock expires (UTC); <see langword="null"/> if it does not.</param>
public sealed record HeldLock(string FilePath, FileLockType LockType, DateTimeOffset AcquiredAt, DateTimeOffset? ExpiresAt);
