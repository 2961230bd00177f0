namespace AgentOrchestration.Data.Locks;

/// <summary>The answer to "may this session write these paths?" (<see cref="IFileLockService.CheckWriteAsync"/>), for pre-commit hooks.</summary>
public sealed class FileWriteCheck
{
    internal FileWriteCheck(string sessionId, IReadOnlyList<FileWriteCheckEntry> paths)
    {
        SessionId = sessionId;
        Paths = paths;
        Writable = [.. paths.Where(p => p.IsWritable).Select(p => p.Path)];
        Blocking = [.. paths.SelectMany(p => p.Blocking)];
    }

    /// <summary>Gets the session that asked.</summary>
    public string SessionId { get; }

    /// <summary>Gets one entry per distinct normalised path asked about, in the order asked.</summary>
    public IReadOnlyList<FileWriteCheckEntry> Paths { get; }

    /// <summary>Gets the normalised paths no other session's live lock stands in the way of.</summary>
    public IReadOnlyList<string> Writable { get; }

    /// <summary>Gets every live lock of another session in the way, per path.</summary>
    public IReadOnlyList<FileLockConflict> Blocking { get; }

    /// <summary>Gets a value indicating whether every path is writable (no other session's live lock overlaps any of them).</summary>
    public bool AllWritable => Blocking.Count == 0;

    /// <summary>Gets a value indicating whether every path is writable and covered by an exclusive lock of the session itself (the strict policy).</summary>
    public bool AllHeldExclusively => Paths.All(p => p.IsWritable && p.IsHeldExclusively);
}
