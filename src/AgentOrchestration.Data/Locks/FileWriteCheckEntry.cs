namespace AgentOrchestration.Data.Locks;

/// <summary>The write check for one path.</summary>
public sealed class FileWriteCheckEntry
{
    internal FileWriteCheckEntry(string path, bool isHeldExclusively, IReadOnlyList<FileLockConflict> blocking)
    {
        Path = path;
        IsHeldExclusively = isHeldExclusively;
        Blocking = blocking;
    }

    /// <summary>Gets the normalised path.</summary>
    public string Path { get; }

    /// <summary>Gets a value indicating whether no other session holds a live lock, shared or exclusive, overlapping the path.</summary>
    public bool IsWritable => Blocking.Count == 0;

    /// <summary>
    /// Gets a value indicating whether the session itself holds a live exclusive lock covering the path. Exact for a plain path;
    /// for a pattern it is <see langword="true"/> only for the same pattern, <c>**</c> or a literal <c>dir/**</c> lock the pattern lies under.
    /// </summary>
    public bool IsHeldExclusively { get; }

    /// <summary>Gets the live locks of other sessions overlapping the path.</summary>
    public IReadOnlyList<FileLockConflict> Blocking { get; }
}
