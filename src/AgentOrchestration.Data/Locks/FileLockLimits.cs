namespace AgentOrchestration.Data.Locks;

/// <summary>The bounds the lock service enforces on its arguments.</summary>
public static class FileLockLimits
{
    /// <summary>The most paths one call may name.</summary>
    public const int MaxPathsPerCall = 1000;

    /// <summary>Gets the longest time-to-live a lock may be given or renewed for: 24 hours.</summary>
    public static TimeSpan MaxTtl { get; } = TimeSpan.FromHours(24);
}
