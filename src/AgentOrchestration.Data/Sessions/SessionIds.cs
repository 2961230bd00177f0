using System.Buffers;
using AgentOrchestration.Data.Validation;

namespace AgentOrchestration.Data.Sessions;

/// <summary>The rules for session keys: new keys are strict, lookups accept any key that could be stored.</summary>
internal static class SessionIds
{
    private static readonly SearchValues<char> Allowed = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-");

    /// <summary>Validates a key for a new session: 1 to 200 characters from the allowed set, starting with a letter or digit.</summary>
    public static string ValidNew(string sessionId, string parameterName)
    {
        // The character rule first: it explains what a key is made of, which says more than "no control characters".
        var bad = sessionId is { Length: > 0 and <= SessionStart.MaxSessionIdLength } ? sessionId.AsSpan().IndexOfAnyExcept(Allowed) : -1;
        if (bad >= 0 || sessionId is { Length: > 0 and <= SessionStart.MaxSessionIdLength } && !char.IsAsciiLetterOrDigit(sessionId[0]))
        {
            var at = bad >= 0 ? bad : 0;
            throw new ArgumentException(
                $"{parameterName} {Input.Show(sessionId)} has U+{(int)sessionId[at]:X4} at position {at}. Allowed: ASCII letters, digits, '.', '_', ':' and '-', starting with a letter or digit, 1 to {SessionStart.MaxSessionIdLength} characters.",
                parameterName);
        }

        ValidLookup(sessionId, parameterName);
        return sessionId;
    }

    /// <summary>Validates a key to look up: 1 to 200 characters on one line, not all white space (no stored key is).</summary>
    public static void ValidLookup(string sessionId, string parameterName)
    {
        Input.Key(sessionId, parameterName, SessionStart.MaxSessionIdLength);
        if (string.IsNullOrWhiteSpace(sessionId))
        {
            throw Input.Invalid(parameterName, sessionId, "is empty or white space", "the key of an existing session (agent_sessions.session_id)");
        }
    }
}
