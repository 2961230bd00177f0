using System.Buffers;
using System.Diagnostics.CodeAnalysis;
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
/// Every stored path is in NFC, in every process. A process in globalization invariant mode
/// (<c>DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1</c>, common in containers) has no normalisation data, so it accepts only
/// paths that are NFC without it (characters below U+0300, Greek and Cyrillic letters, kana, CJK ideographs, Hangul
/// syllables) and refuses the rest, such as a decomposed <c>cafe&#x301;.md</c>, rather than store a second spelling of a file.
/// </para>
/// <para>
/// It refuses <see langword="null"/>, empty and white-space paths, absolute paths (<c>/x</c>, <c>\x</c>, <c>C:\x</c>,
/// <c>C:x</c>, <c>\\server\share</c>), any <c>..</c> segment, any segment ending in a dot or a space (Windows drops
/// them, so <c>a.cs.</c> and <c>a.cs </c> would name <c>a.cs</c> there), control characters, invalid Unicode (an unpaired surrogate or U+FFFE, in every mode), the project root itself
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

    /// <summary>
    /// Whether <see cref="string.Normalize(NormalizationForm)"/> composes in this process. In globalization invariant mode
    /// it returns its input unchanged (and <see cref="string.IsNormalized()"/> always says yes), so probing is the one
    /// check that also covers any other runtime without normalisation data.
    /// </summary>
    internal static readonly bool CanCompose = "e\u0301".Normalize(NormalizationForm.FormC) == "\u00E9";

    /// <summary>
    /// Characters that are in NFC whatever surrounds them (quick check Yes, canonical combining class 0, never the second
    /// half of a composition), so a string of them only is NFC without normalisation data. LockPathTests proves each one
    /// against ICU. Controls and separators are in the set; they are refused or handled before it is consulted.
    /// </summary>
    internal static readonly SearchValues<char> NormalizationInert = SearchValues.Create(InertCharacters());

    private const string Allowed =
        "A lock path is relative to the project root, such as 'src/app.cs', 'src/' or 'docs/*.md', at most 1024 characters, without '..' segments, segments ending in '.' or ' ', or control characters.";

    /// <summary>Returns the normalised form of a lock path or pattern.</summary>
    /// <param name="path">A project-relative path or pattern, such as <c>./src\App.cs</c>, <c>src/</c> or <c>docs/*.md</c>.</param>
    /// <returns>The normalised path, such as <c>src/App.cs</c>, <c>src/**</c> or <c>docs/*.md</c>.</returns>
    /// <exception cref="ArgumentException">
    /// <paramref name="path"/> is <see langword="null"/>, empty, white space, absolute, escapes the project with <c>..</c>,
    /// has a segment ending in a dot or a space, names only the project root, contains a control character or invalid Unicode, or is longer than <see cref="MaxLength"/>;
    /// or, in globalization invariant mode, has a character this process cannot put in NFC (see the remarks of <see cref="LockPath"/>).
    /// The message names the value and what is allowed.
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
    internal static bool TryNormalize(string? path, out string normalized, out string error) =>
        TryNormalize(path, CanCompose, out normalized, out error);

    /// <summary>
    /// Normalises <paramref name="path"/> as a process with (<paramref name="canCompose"/>) or without Unicode
    /// normalisation data does; tests pass the mode they check.
    /// </summary>
    internal static bool TryNormalize(string? path, bool canCompose, out string normalized, out string error)
    {
        normalized = string.Empty;
        if (!TryCheckText(path, out error) || !TryCheckCharacters(path, out error) || !TryCompose(path, canCompose, out var composed, out error))
        {
            return false;
        }

        var slashed = composed.Replace('\\', '/');
        if (!TryCheckRelative(path, slashed, out error) || !TrySplit(path, slashed, out var segments, out error))
        {
            return false;
        }

        var joined = string.Join('/', segments);
        if (joined.Length > MaxLength)
        {
            error = $"The lock path '{Show(path)}' normalises to '{Show(joined)}', {joined.Length} characters long; at most {MaxLength} are allowed. {Allowed}";
            return false;
        }

        normalized = joined;
        return true;
    }

    /// <summary>The path as a whole: present, not blank, not too long.</summary>
    private static bool TryCheckText([NotNullWhen(true)] string? path, out string error)
    {
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

        return true;
    }

    /// <summary>Each character: no control characters, valid UTF-16, no noncharacter U+FFFE.</summary>
    private static bool TryCheckCharacters(string path, out string error)
    {
        error = string.Empty;
        for (var i = 0; i < path.Length; i++)
        {
            if (char.IsControl(path[i]))
            {
                error = $"The lock path '{Show(path)}' contains the control character U+{(int)path[i]:X4} at position {i}. {Allowed}";
                return false;
            }

            // Checked here, not left to string.Normalize: without ICU it accepts unpaired surrogates instead of throwing.
            if (char.IsSurrogate(path[i]))
            {
                if (char.IsHighSurrogate(path[i]) && i + 1 < path.Length && char.IsLowSurrogate(path[i + 1]))
                {
                    i++;
                    continue;
                }

                error = $"The lock path '{Show(path)}' is not valid Unicode: it has an unpaired surrogate U+{(int)path[i]:X4} at position {i}. {Allowed}";
                return false;
            }

            // string.Normalize refuses U+FFFE with ICU and passes it through without; refused in every mode.
            if (path[i] == '\uFFFE')
            {
                error = $"The lock path '{Show(path)}' is not valid Unicode: it has the noncharacter U+FFFE at position {i}. {Allowed}";
                return false;
            }
        }

        return true;
    }

    /// <summary>The path in Unicode composed form (NFC), the same in every process.</summary>
    private static bool TryCompose(string path, bool canCompose, out string composed, out string error)
    {
        error = string.Empty;
        composed = path;
        if (canCompose)
        {
            try
            {
                composed = path.Normalize(NormalizationForm.FormC);
                return true;
            }
            catch (ArgumentException)
            {
                error = $"The lock path '{Show(path)}' is not valid Unicode. {Allowed}";
                return false;
            }
        }

        // Without normalisation data (globalization invariant mode) string.Normalize returns its input unchanged, so this
        // process would store 'cafe\u0301' where others store 'caf\u00E9'. Accepting only what is NFC whatever the
        // data keeps every process's stored paths identical; what this process cannot compose it refuses.
        var position = path.AsSpan().IndexOfAnyExcept(NormalizationInert);
        if (position >= 0)
        {
            error = $"The lock path '{Show(path)}' has U+{Rune.GetRuneAt(path, position).Value:X4} at position {position}, which this process cannot put in Unicode composed form (NFC): "
                + "it runs in globalization invariant mode (DOTNET_SYSTEM_GLOBALIZATION_INVARIANT or InvariantGlobalization), which has no normalisation data. "
                + "Without that data lock paths are limited to characters below U+0300 (ASCII, Latin-1 and Latin Extended letters such as 'é', precomposed), Greek and Cyrillic letters, kana, CJK ideographs and Hangul syllables; "
                + $"run with ICU to lock any other path. {Allowed}";
            return false;
        }

        return true;
    }

    /// <summary>Relative to the project root: no leading separator or drive letter.</summary>
    private static bool TryCheckRelative(string path, string slashed, out string error)
    {
        error = string.Empty;
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

        return true;
    }

    /// <summary>The normal segments: empty and <c>.</c> dropped, stars collapsed, a directory ending in <c>**</c>; no <c>..</c>, no trailing dots or spaces, not the root.</summary>
    private static bool TrySplit(string path, string slashed, out List<string> segments, out string error)
    {
        error = string.Empty;
        var rawSegments = slashed.Split('/');
        segments = new List<string>(rawSegments.Length + 1);
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

        return true;
    }

    private static string InertCharacters()
    {
        // Below U+0300 (where the combining marks start); Greek and Cyrillic letters; Hiragana and Katakana without the
        // voicing marks; CJK Unified Ideographs; Hangul syllables (not the conjoining jamo, which compose).
        (char First, char Last)[] ranges =
        [
            ('\u0000', '\u02FF'), ('\u0386', '\u0386'), ('\u0388', '\u03FF'), ('\u0400', '\u0482'), ('\u048A', '\u052F'),
            ('\u3041', '\u3096'), ('\u30A1', '\u30FA'), ('\u4E00', '\u9FFF'), ('\uAC00', '\uD7A3'),
        ];
        var builder = new StringBuilder();
        foreach (var (first, last) in ranges)
        {
            for (var c = first; c <= last; c++)
            {
                // An unassigned code point could later become a combining mark.
                if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.OtherNotAssigned)
                {
                    builder.Append(c);
                }
            }
        }

        return builder.ToString();
    }

    /// <summary>A printable, bounded rendering of a refused value for messages: control characters and unpaired surrogates escaped, long values cut.</summary>
    internal static string Show(string value)
    {
        const int limit = 120;
        var builder = new StringBuilder(Math.Min(value.Length, limit) + 16);
        var shown = value.Length > limit ? value[..limit] : value;
        for (var i = 0; i < shown.Length; i++)
        {
            var c = shown[i];
            var paired = char.IsHighSurrogate(c) ? i + 1 < shown.Length && char.IsLowSurrogate(shown[i + 1])
                : char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(shown[i - 1]);

            // An unpaired surrogate is escaped too: it would turn into U+FFFD in any log written as UTF-8.
            if (char.IsControl(c) || (char.IsSurrogate(c) && !paired))
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
