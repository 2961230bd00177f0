namespace AgentOrchestration.Data.Locks;

/// <summary>
/// Exact overlap of two normalised lock patterns: is there a file path both match? Two searches over pairs of positions,
/// one over segments (where <c>**</c> may consume any number of segments) and, for each pair of segments, one over
/// characters (where <c>*</c> may consume any number of characters and <c>?</c> exactly one).
/// </summary>
internal static class LockPatterns
{
    public const string GlobStar = "**";

    /// <summary>Whether a normalised path contains a wildcard.</summary>
    public static bool IsPattern(string normalized) => normalized.AsSpan().IndexOfAny('*', '?') >= 0;

    /// <summary>Whether some path matches both normalised patterns.</summary>
    public static bool Overlaps(string a, string b)
    {
        if (string.Equals(a, b, StringComparison.Ordinal))
        {
            return true;
        }

        if (!IsPattern(a) && !IsPattern(b))
        {
            return false;
        }

        return SegmentsOverlap(a.Split('/'), b.Split('/'));
    }

    /// <summary>
    /// What every path a normalised pattern matches starts with: the text before its first wildcard, without a
    /// <c>/</c> that ends it (a <c>**</c> segment may match no segment at all, so <c>src/**</c> matches <c>src</c>). A plain
    /// path is its own prefix. So when two patterns overlap, the prefix of one starts with the prefix of the other: the
    /// conservative test the PostgreSQL one-round-trip acquisition makes in SQL (LockPatternPrefixTests proves it).
    /// </summary>
    public static string LiteralPrefix(string normalized)
    {
        var wildcard = normalized.AsSpan().IndexOfAny('*', '?');
        var literal = wildcard < 0 ? normalized : normalized[..wildcard];
        return literal.EndsWith('/') ? literal[..^1] : literal;
    }

    /// <summary>
    /// Whether two patterns may overlap by the prefix test of <see cref="LiteralPrefix"/>: <see langword="false"/> proves
    /// they do not; <see langword="true"/> says nothing.
    /// </summary>
    public static bool MayOverlap(string a, string b)
    {
        var p = LiteralPrefix(a);
        var q = LiteralPrefix(b);
        return p.StartsWith(q, StringComparison.Ordinal) || q.StartsWith(p, StringComparison.Ordinal);
    }

    /// <summary>
    /// Whether the normalised <paramref name="pattern"/> certainly covers every file <paramref name="path"/> can name:
    /// exact for a plain path; for a pattern, only the cases a pre-commit check needs (the same pattern, <c>**</c>, or a
    /// literal directory followed by <c>/**</c> that the path lies under). Answers <see langword="false"/> when unsure.
    /// </summary>
    public static bool Covers(string pattern, string path)
    {
        if (!IsPattern(path))
        {
            return Overlaps(pattern, path);
        }

        if (string.Equals(pattern, path, StringComparison.Ordinal) || pattern == GlobStar)
        {
            return true;
        }

        if (!pattern.EndsWith("/" + GlobStar, StringComparison.Ordinal))
        {
            return false;
        }

        var directory = pattern[..^GlobStar.Length];
        return !IsPattern(directory) && path.StartsWith(directory, StringComparison.Ordinal);
    }

    /// <summary>Reachability over (i, j): segments a[..i] and b[..j] can be matched by the same sequence of path segments.</summary>
    private static bool SegmentsOverlap(string[] a, string[] b)
    {
        var n = a.Length;
        var m = b.Length;
        var seen = new bool[n + 1, m + 1];
        var pending = new Stack<(int I, int J)>();
        pending.Push((0, 0));
        seen[0, 0] = true;
        while (pending.Count > 0)
        {
            var (i, j) = pending.Pop();
            if (i == n && j == m)
            {
                return true;
            }

            var aStar = i < n && a[i] == GlobStar;
            var bStar = j < m && b[j] == GlobStar;

            // A '**' may match no segment at all.
            if (aStar)
            {
                Visit(i + 1, j);
            }

            if (bStar)
            {
                Visit(i, j + 1);
            }

            // Or both consume one path segment that each side's segment matches; '**' matches any segment and stays.
            if (i < n && j < m && !(aStar && bStar) && (aStar || bStar || SegmentGlobsOverlap(a[i], b[j])))
            {
                Visit(aStar ? i : i + 1, bStar ? j : j + 1);
            }
        }

        return false;

        void Visit(int i, int j)
        {
            if (!seen[i, j])
            {
                seen[i, j] = true;
                pending.Push((i, j));
            }
        }
    }

    /// <summary>
    /// Whether a non-empty segment matches both segment globs (no <c>/</c>, no <c>**</c> segment). Every such glob matches some
    /// non-empty segment, and if both match the empty string both are only stars, so any common match can be made non-empty.
    /// </summary>
    internal static bool SegmentGlobsOverlap(string pattern1, string pattern2)
    {
        if (string.Equals(pattern1, pattern2, StringComparison.Ordinal))
        {
            return true;
        }

        // '?' stands for one Unicode scalar value, so compare code points, not UTF-16 units.
        var p = Runes(pattern1);
        var q = Runes(pattern2);
        var n = p.Length;
        var m = q.Length;
        var seen = new bool[n + 1, m + 1];
        var pending = new Stack<(int X, int Y)>();
        pending.Push((0, 0));
        seen[0, 0] = true;
        while (pending.Count > 0)
        {
            var (x, y) = pending.Pop();
            if (x == n && y == m)
            {
                return true;
            }

            var pStar = x < n && p[x] == '*';
            var qStar = y < m && q[y] == '*';
            if (pStar)
            {
                Visit(x + 1, y);
            }

            if (qStar)
            {
                Visit(x, y + 1);
            }

            // Consume one character both sides accept: a literal meets its equal, '?' and '*' accept any character.
            if (x < n && y < m && !(pStar && qStar))
            {
                var pc = p[x];
                var qc = q[y];
                var pAny = pc == '*' || pc == '?';
                var qAny = qc == '*' || qc == '?';
                if (pAny || qAny || pc == qc)
                {
                    Visit(pStar ? x : x + 1, qStar ? y : y + 1);
                }
            }
        }

        return false;

        void Visit(int x, int y)
        {
            if (!seen[x, y])
            {
                seen[x, y] = true;
                pending.Push((x, y));
            }
        }
    }

    private static int[] Runes(string value)
    {
        var runes = new List<int>(value.Length);
        foreach (var rune in value.EnumerateRunes())
        {
            runes.Add(rune.Value);
        }

        return [.. runes];
    }
}
