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
        ValidLookup(sessionId, parameterName);
        var bad = sessionId.AsSpan().IndexOfAnyExcept(Allowed);
        if (bad >= 0 || !char.IsAsciiLetterOrDigit(sessionId[0]))
        {
            var at = bad >= 0 ? bad : 0;
            throw new ArgumentException(
                $"{parameterName} {Input.Show(sessionId)} has the character '{sessionId[at]}' (U+{(int)sessionId[at]:X4}) at position {at}. A session key is made of ASCII letters, digits, '.', '_', ':' and '-', and starts with a letter or digit.",
                parameterName);
        }

        return sessionId;
    }

    /// <summary>Validates a key to look up: 1 to 200 characters on one line (longer keys cannot be stored, control characters never are).</summary>
    public static void ValidLookup(string sessionId, string parameterName) =>
        Input.Key(sessionId, parameterName, SessionStart.MaxSessionIdLength);
}
