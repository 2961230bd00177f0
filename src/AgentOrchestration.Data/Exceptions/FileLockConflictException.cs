using System.Text;
using AgentOrchestration.Data.Locks;

namespace AgentOrchestration.Data;

/// <summary>
/// Thrown when file locks are refused because live locks of other sessions overlap the requested paths. Acquiring is
/// all-or-nothing, so no lock was taken; <see cref="Conflicts"/> names every lock in the way, its holder and its expiry.
/// </summary>
public sealed class FileLockConflictException : AgentOrchestrationException
{
    private const int ListedInMessage = 10;

    /// <summary>Initializes a new instance of the <see cref="FileLockConflictException"/> class.</summary>
    /// <param name="sessionId">The session that asked for the locks.</param>
    /// <param name="conflicts">Every live lock of another session in the way; at least one.</param>
    public FileLockConflictException(string sessionId, IReadOnlyList<FileLockConflict> conflicts)
        : base(Describe(sessionId, conflicts))
    {
        SessionId = sessionId;
        Conflicts = conflicts;
    }

    /// <summary>Gets the session that asked for the locks.</summary>
    public string SessionId { get; }

    /// <summary>Gets every live lock of another session in the way: requested path, held path or pattern, held mode, holder session and agent, expiry.</summary>
    public IReadOnlyList<FileLockConflict> Conflicts { get; }

    private static string Describe(string sessionId, IReadOnlyList<FileLockConflict> conflicts)
    {
        ArgumentNullException.ThrowIfNull(conflicts);
        var message = new StringBuilder($"Session '{sessionId}' was refused the file locks it asked for, and none was taken: ");
        message.AppendJoin("; ", conflicts.Take(ListedInMessage));
        if (conflicts.Count > ListedInMessage)
        {
            message.Append("; and ").Append(conflicts.Count - ListedInMessage).Append(" more");
        }

        message.Append(". An exclusive lock needs no other session's live lock on an overlapping path; a shared lock needs no other session's live exclusive lock. Retry after the holder releases or its lock expires.");
        return message.ToString();
    }
}
