using System.Globalization;
using System.Text;

namespace AgentOrchestration.Data.Locks;

/// <summary>
/// Normalises lock paths and decides whether two of them overlap. Every path the library stores, compares or reports has
/// been through <see cref="Normalize"/>; hooks call it too so they compare paths the way the library does.
/// </summary>
/// <remarks>
/// <para>
/// A lock path is relative to the project root and uses <c>/</c> between segments. <see cref="Normalize"/> turns
/// <c>\</c> into <c>/</c>, collapses repeated separators, drops <c>.</c> segments, composes Unicode (NFC), turns a trailing
/// <c>/</c> (a directory) into <c>/**</c>, merges repeated <c>**</c> segments and runs of <c>*</c> within a segment (a segment of stars only, such as
/// <c>***</c>, is <c>**</c>), and keeps
/// case: paths are case-sensitive, so <c>Src/App.cs</c> and <c>src/app.cs</c> are different paths that do not conflict.
/// (Agents on case-insensitive file systems must spell paths the way the repository does, as git does.)
/// </para>
/// <para>
/// It refuses <see langword="null"/>, empty and white-space paths, absolute paths (<c>/x</c>, <c>\x</c>, <c>C:\x</c>,
/// <c>C:x</c>, <c>\\server\share</c>), any <c>..</c> segment, any segment ending in a dot or a space (Windows drops
/// them, so <c>a.cs.</c> and <c>a.cs </c> would name <c>a.cs</c> there), control characters, invalid Unicode, the project root itself
/// (<c>.</c>; lock <c>**</c> to lock everything) and paths longer than <see cref="MaxLength"/> characters.
/// </para>
/// <para>
/// Patterns: <c>*</c> matches any characters within one segment (also none, also a leading dot), <c>?</c> exactly one
/// character within a segment, and a whole <c>**</c> segment any number of segments, including none (so <c>src/**</c>
/// covers <c>src/a.cs</c>, <c>src/x/y.cs</c> and <c>src</c> itself). Every other character is literal, including
/// <c>[</c>, <c>]</c>, <c>{</c> and <c>}</c>; there is no escape, so a file literally named <c>a*b</c> is locked by a
/// pattern that also covers <c>ab</c>, <c>axb</c> and so on, which is the safe direction.
/// </para>
/// </remarks>
public static class LockPath
{
    /// <summary>The longest path allowed, in UTF-16 characters, before and after normalisation (the width of <c>file_locks.file_path</c>).</summary>
    public const int MaxLength = 1024;

    private const string Allowed =
        "A lock path is relative to the project root, such as 'src/app.cs', 'src/' or 'docs/*.md', at most 1024 characters, without '..' segments, segments ending in '.' or ' ', or control characters.";

    /// <summary>Returns the normalised form of a lock path or pattern.</summary>
    /// <param name="path">A project-relative path or pattern, such as <c>./src\App.cs</c>, <c>src/</c> or <c>docs/*.md</c>.</param>
    /// <returns>The normalised path, such as <c>src/App.cs</c>, <c>src/**</c> or <c>docs/*.md</c>.</returns>
    /// <exception cref="ArgumentException">
    /// <paramref name="path"/> is <see langword="null"/>, empty, white space, absolute, escapes the project with <c>..</c>,
    /// has a segment ending in a dot or a space, names only the project root, contains a control character or invalid Unicode, or is longer than <see cref="MaxLength"/>;
    /// the message names the value and what is allowed.
    /// </exception>
    public static string Normalize(string path)
    {
        if (!TryNormalize(path, out var normalized, out var error))
        {
            throw new ArgumentException(error, nameof(path));
        }

        return normalized;
    }

    /// <summary>
    /// Tells whether some file path matches both <paramref name="a"/> and <paramref name="b"/>: two plain paths overlap when
    /// they are equal, a path and a pattern when the pattern matches the path, and two patterns when one file could match both
    /// (<c>src/**/test.cs</c> and <c>src/a/*.cs</c> do, <c>docs/*.md</c> and <c>docs/x/y.md</c> do not). Exact, not sampled.
    /// </summary>
    /// <param name="a">A path or pattern; normalised first.</param>
    /// <param name="b">Another path or pattern; normalised first.</param>
    /// <returns><see langword="true"/> if a file path matches both.</returns>
    /// <exception cref="ArgumentException">Either value is not a valid lock path (see <see cref="Normalize"/>).</exception>
    public static bool Overlaps(string a, string b) => LockPatterns.Overlaps(Normalize(a), Normalize(b));

    /// <summary>Normalises <paramref name="path"/>, or explains why it is refused.</summary>
    internal static bool TryNormalize(string? path, out string normalized, out string error)
    {
        normalized = string.Empty;
        error = string.Empty;
        if (path is null)
        {
            error = $"The lock path is null. {Allowed}";
            return false;
        }

        if (string.IsNullOrWhiteSpace(path))
        {
            error = $"The lock path '{Show(path)}' is empty or white space. {Allowed}";
            return false;
        }

        if (path.Length > MaxLength)
        {
            error = $"The lock path '{Show(path)}' is {path.Length} characters long; at most {MaxLength} are allowed. {Allowed}";
            return false;
        }

        for (var i = 0; i < path.Length; i++)
        {
            if (char.IsControl(path[i]))
            {
                error = $"The lock path '{Show(path)}' contains the control character U+{(int)path[i]:X4} at position {i}. {Allowed}";
                return false;
            }
        }

        string composed;
        try
        {
            composed = path.Normalize(NormalizationForm.FormC);
        }
        catch (ArgumentException)
        {
            error = $"The lock path '{Show(path)}' is not valid Unicode (it has an unpaired surrogate). {Allowed}";
            return false;
        }

        var slashed = composed.Replace('\\', '/');
        if (slashed[0] == '/')
        {
            error = $"The lock path '{Show(path)}' is absolute (it starts with a separator). {Allowed}";
            return false;
        }

        if (slashed.Length >= 2 && char.IsAsciiLetter(slashed[0]) && slashed[1] == ':')
        {
            error = $"The lock path '{Show(path)}' is absolute (it starts with a drive letter). {Allowed}";
            return false;
        }

        var rawSegments = slashed.Split('/');
        var segments = new List<string>(rawSegments.Length + 1);
        foreach (var raw in rawSegments)
        {
            if (raw.Length == 0 || raw == ".")
            {
                continue;
            }

            if (raw == "..")
            {
                error = $"The lock path '{Show(path)}' has a '..' segment; lock paths must stay inside the project. {Allowed}";
                return false;
            }

            if (raw[^1] is '.' or ' ')
            {
                // Windows drops them (a.cs. and 'a.cs ' open a.cs), so such a lock would not cover the file agents there write.
                var trimmed = raw.TrimEnd('.', ' ');
                var there = trimmed.Length == 0 ? "nothing (its parent directory)" : $"'{Show(trimmed)}'";
                error = $"The lock path '{Show(path)}' has the segment '{Show(raw)}', which ends in a {(raw[^1] == '.' ? "dot" : "space")}; Windows drops trailing dots and spaces, so there it names {there}. Write it without them. {Allowed}";
                return false;
            }

            var segment = CollapseStars(raw);
            if (segment == LockPatterns.GlobStar && segments.Count > 0 && segments[^1] == LockPatterns.GlobStar)
            {
                continue;
            }

            segments.Add(segment);
        }

        if (segments.Count == 0)
        {
            error = $"The lock path '{Show(path)}' names the project root, not a file or directory in it; lock '**' to lock the whole project. {Allowed}";
            return false;
        }

        // A trailing separator (or '/.') names a directory: the lock covers everything under it.
        var last = rawSegments[^1];
        if ((last.Length == 0 || last == ".") && segments[^1] != LockPatterns.GlobStar)
        {
            segments.Add(LockPatterns.GlobStar);
        }

        normalized = string.Join('/', segments);
        if (normalized.Length > MaxLength)
        {
            error = $"The lock path '{Show(path)}' normalises to '{Show(normalized)}', {normalized.Length} characters long; at most {MaxLength} are allowed. {Allowed}";
            normalized = string.Empty;
            return false;
        }

        return true;
    }

    /// <summary>A printable, bounded rendering of a refused value for messages: control characters escaped, long values cut.</summary>
    internal static string Show(string value)
    {
        const int limit = 120;
        var builder = new StringBuilder(Math.Min(value.Length, limit) + 16);
        foreach (var c in value.Length > limit ? value[..limit] : value)
        {
            if (char.IsControl(c))
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        if (value.Length > limit)
        {
            builder.Append(CultureInfo.InvariantCulture, $"… ({value.Length} characters)");
        }

        return builder.ToString();
    }

    /// <summary>
    /// Merges runs of <c>*</c> inside a segment (<c>a**b</c> means <c>a*b</c>); a segment of two or more stars only is
    /// <c>**</c>, the wider reading, which is the safe one for a lock.
    /// </summary>
    private static string CollapseStars(string segment)
    {
        if (!segment.Contains("**", StringComparison.Ordinal))
        {
            return segment;
        }

        if (segment.AsSpan().IndexOfAnyExcept('*') < 0)
        {
            return LockPatterns.GlobStar;
        }

        var builder = new StringBuilder(segment.Length);
        foreach (var c in segment)
        {
            if (c == '*' && builder.Length > 0 && builder[^1] == '*')
            {
                continue;
            }

            builder.Append(c);
        }

        return builder.ToString();
    }
}
