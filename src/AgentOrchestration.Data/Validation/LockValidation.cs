using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;

namespace AgentOrchestration.Data.Validation;

/// <summary>The rules for lock requests: the session, the paths (normalised by <see cref="LockPath"/>), the mode and the time-to-live.</summary>
internal static class LockValidation
{
    /// <summary>Checks an acquisition and returns its paths normalised, distinct, in the order given.</summary>
    public static List<string> Acquire(string? sessionId, IReadOnlyCollection<string>? paths, FileLockType lockType, TimeSpan ttl)
    {
        SessionValidation.Key(sessionId);
        var normalized = Paths(paths);
        Input.Defined(lockType, nameof(lockType));
        Ttl(ttl);
        return normalized;
    }

    public static void Renew(string? sessionId, TimeSpan ttl)
    {
        SessionValidation.Key(sessionId);
        Ttl(ttl);
    }

    /// <summary>Checks a release or write check: the session and the paths, returned normalised.</summary>
    public static List<string> SessionPaths(string? sessionId, IReadOnlyCollection<string>? paths)
    {
        SessionValidation.Key(sessionId);
        return Paths(paths);
    }

    /// <summary>Checks paths and returns them normalised, distinct, in the order given; the refusal names the first offending one.</summary>
    public static List<string> Paths(IReadOnlyCollection<string>? paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count is 0 or > FileLockLimits.MaxPathsPerCall)
        {
            throw new ArgumentException($"{paths.Count} paths were given; between 1 and {FileLockLimits.MaxPathsPerCall} are allowed per call.", nameof(paths));
        }

        var result = new List<string>(paths.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var path in paths)
        {
            if (!LockPath.TryNormalize(path, out var normalized, out var error))
            {
                var field = $"paths[{index}]";
                throw path is null ? new ArgumentNullException(field, $"{field}: {error}") : new ArgumentException($"{field}: {error}", field);
            }

            if (seen.Add(normalized))
            {
                result.Add(normalized);
            }

            index++;
        }

        return result;
    }

    private static void Ttl(TimeSpan ttl) => Input.Duration(ttl, nameof(ttl), FileLockLimits.MaxTtl);
}
