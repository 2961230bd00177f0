using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Tests.Infrastructure;
using Bogus;

namespace AgentOrchestration.Data.Tests.Locks;

/// <summary>Normalisation and exact pattern overlap, without a database.</summary>
public sealed class LockPathTests
{
    [TestCase("src/app.cs", "src/app.cs")]
    [TestCase("./src/app.cs", "src/app.cs")]
    [TestCase("src\\app.cs", "src/app.cs")]
    [TestCase("src//app.cs", "src/app.cs")]
    [TestCase("src/./app.cs", "src/app.cs")]
    [TestCase("src/", "src/**")]
    [TestCase("src\\", "src/**")]
    [TestCase("src/.", "src/**")]
    [TestCase("src/**", "src/**")]
    [TestCase("src/**/", "src/**")]
    [TestCase("src/**/**/a.cs", "src/**/a.cs")]
    [TestCase("src/***", "src/**")]
    [TestCase("src/a**b.cs", "src/a*b.cs")]
    [TestCase("docs/*.md", "docs/*.md")]
    [TestCase("Src/App.CS", "Src/App.CS")]
    [TestCase("**", "**")]
    [TestCase("a b/c d.txt", "a b/c d.txt")]
    [TestCase("app/[id]/page.tsx", "app/[id]/page.tsx")]
    [TestCase("a/.hidden", "a/.hidden")]
    [TestCase("caf\u0065\u0301.txt", "caf\u00e9.txt")]
    public void Normalize_accepts_relative_paths_and_patterns(string input, string expected)
    {
        Assert.That(LockPath.Normalize(input), Is.EqualTo(expected));
        Assert.That(LockPath.Normalize(expected), Is.EqualTo(expected), "normalising is idempotent");
    }

    [TestCase("", "empty")]
    [TestCase("   ", "empty")]
    [TestCase("/etc/passwd", "absolute")]
    [TestCase("\\temp\\x", "absolute")]
    [TestCase("C:\\work\\x.cs", "drive letter")]
    [TestCase("c:x.cs", "drive letter")]
    [TestCase("\\\\server\\share\\x", "absolute")]
    [TestCase("//server/share", "absolute")]
    [TestCase("../secrets.txt", "'..'")]
    [TestCase("src/../../x", "'..'")]
    [TestCase("src\\..\\x", "'..'")]
    [TestCase("src/a\nb.cs", "control character U+000A")]
    [TestCase("src/a\u0000b.cs", "control character U+0000")]
    [TestCase("src/a.cs.", "segment 'a.cs.', which ends in a dot; Windows drops trailing dots and spaces, so there it names 'a.cs'")]
    [TestCase("src/a.cs ", "segment 'a.cs ', which ends in a space")]
    [TestCase("src. /a.cs", "segment 'src. ', which ends in a space")]
    [TestCase("docs/*.", "segment '*.', which ends in a dot")]
    [TestCase("...", "there it names nothing (its parent directory)")]
    [TestCase("src/ /a.cs", "segment ' ', which ends in a space")]
    [TestCase(".", "project root")]
    [TestCase("./", "project root")]
    public void Normalize_refuses_with_a_message_naming_the_value_and_the_rule(string input, string reason)
    {
        var exception = Assert.Throws<ArgumentException>(() => LockPath.Normalize(input))!;
        Assert.Multiple(() =>
        {
            Assert.That(exception.ParamName, Is.EqualTo("path"));
            Assert.That(exception.Message, Does.Contain(reason));
            Assert.That(exception.Message, Does.Contain("relative to the project root"), "says what is allowed");
            Assert.That(exception.Message, Does.Contain($"'{LockPath.Show(input)}'"), "names the value");
        });
    }

    private static readonly string[] UnicodePaths =
    [
        "docs/cafe\u0301.md", "docs/caf\u00E9.md", "docs/\u212B.md", "docs/\u65E5\u672C\u8A9E.md", "docs/\uD55C\uAE00.md",
        "docs/\u1112\u1161\u11AB.md", "docs/\u0395\u03BB\u03BB\u03AC\u03B4\u03B1.md", "docs/\uD83D\uDE00.md", "docs/a\uD800b.md", "docs/a\uDC00.md",
        "docs/\uD800", "docs/x\u0327\u0301.md", "src/App.cs",
    ];

    [Test]
    public void Unpaired_surrogates_are_refused_in_every_mode_naming_the_path_and_position()
    {
        foreach (var canCompose in new[] { true, false })
        {
            foreach (var path in new[] { "docs/a\uD800b.md", "docs/a\uDC00.md", "docs/\uD800", "\uDC00\uD800", "docs/\uFFFE.md" })
            {
                Assert.That(LockPath.TryNormalize(path, canCompose, out _, out var error), Is.False, $"{ChildProcess.ToHex(path)} canCompose={canCompose}");
                Assert.That(error, Does.Contain(path.Contains('\uFFFE', StringComparison.Ordinal) ? "noncharacter U+FFFE" : "unpaired surrogate U+").And.Contain($"'{LockPath.Show(path)}'"));
                Assert.That(error.Any(char.IsSurrogate), Is.False, "the message shows the surrogate escaped");
            }
        }

        Assert.That(LockPath.Normalize("docs/\uD83D\uDE00.md"), Is.EqualTo("docs/\uD83D\uDE00.md"), "a surrogate pair is fine");
    }

    [Test]
    public void Without_normalisation_data_only_paths_already_in_NFC_are_accepted_and_as_with_it()
    {
        Assert.That(LockPath.CanCompose, Is.True, "the test process has ICU");
        foreach (var path in UnicodePaths)
        {
            var composing = LockPath.TryNormalize(path, canCompose: true, out var composed, out _);
            if (LockPath.TryNormalize(path, canCompose: false, out var plain, out var error))
            {
                Assert.That(plain, Is.EqualTo(composed), $"{ChildProcess.ToHex(path)}: the same stored path with and without normalisation data");
            }
            else if (composing)
            {
                Assert.That(error, Does.Contain("globalization invariant mode").And.Contain($"'{LockPath.Show(path)}'"));
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(LockPath.TryNormalize("docs/caf\u00E9.md", false, out var precomposed, out _), Is.True);
            Assert.That(precomposed, Is.EqualTo("docs/caf\u00E9.md"));
            Assert.That(LockPath.TryNormalize("docs/\u65E5\u672C\u8A9E.md", false, out _, out _), Is.True, "CJK ideographs need no data");
            Assert.That(LockPath.TryNormalize("docs/cafe\u0301.md", false, out _, out var decomposed), Is.False, "would be stored decomposed");
            Assert.That(decomposed, Does.Contain("U+0301 at position 9"));
            Assert.That(LockPath.TryNormalize("docs/\u212B.md", false, out _, out _), Is.False, "the Angstrom sign composes to U+00C5");
            Assert.That(LockPath.TryNormalize("docs/\uD83D\uDE00.md", false, out _, out var emoji), Is.False, "no data for what lies beyond the BMP");
            Assert.That(emoji, Does.Contain("U+1F600 at position 5"), "names the code point, not half of it");
            Assert.That(LockPath.TryNormalize("docs/\u1112\u1161\u11AB.md", false, out _, out _), Is.False, "conjoining jamo compose to a syllable");
        });
    }

    [Test]
    public void Every_character_accepted_without_normalisation_data_is_in_NFC_next_to_any_other()
    {
        Assert.That(LockPath.CanCompose, Is.True, "the test process has ICU");

        // The second halves of canonical compositions: a character after which composition may change the string.
        var secondaries = new HashSet<int>();
        for (var code = 0; code <= 0x10FFFF; code++)
        {
            if (code is >= 0xD800 and <= 0xDFFF or 0xFFFE)
            {
                continue;
            }

            var single = char.ConvertFromUtf32(code);
            var decomposed = single.Normalize(System.Text.NormalizationForm.FormD);
            if (decomposed != single && decomposed.Normalize(System.Text.NormalizationForm.FormC) == single)
            {
                secondaries.Add(char.ConvertToUtf32(decomposed, decomposed.Length - (char.IsLowSurrogate(decomposed[^1]) ? 2 : 1)));
            }
        }

        Assert.That(secondaries, Does.Contain(0x0301).And.Contain(0x1161).And.Contain(0x11AB).And.Contain(0x3099), "the scan finds them");
        var accepted = 0;
        for (var code = 0; code <= 0xFFFF; code++)
        {
            var c = (char)code;
            if (!LockPath.NormalizationInert.Contains(c))
            {
                continue;
            }

            accepted++;
            var category = char.GetUnicodeCategory(c);
            Assert.That(c.ToString().IsNormalized(System.Text.NormalizationForm.FormC), Is.True, $"U+{code:X4} is NFC");
            Assert.That(secondaries, Does.Not.Contain(code), $"U+{code:X4} never composes with what precedes it");
            Assert.That(category, Is.Not.AnyOf(System.Globalization.UnicodeCategory.NonSpacingMark, System.Globalization.UnicodeCategory.SpacingCombiningMark, System.Globalization.UnicodeCategory.EnclosingMark), $"U+{code:X4} is a starter (canonical combining class 0)");
        }

        Assert.That(accepted, Is.GreaterThan(30_000));
    }

    [Test]
    public async Task A_process_in_globalization_invariant_mode_stores_the_same_path_or_refuses_it()
    {
        var child = await ChildProcess.RunAsync(
            new Dictionary<string, string> { ["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1" },
            ["normalize-lock-paths", .. UnicodePaths.Select(ChildProcess.ToHex)]);

        Assert.That(child.ExitCode, Is.Zero, child.Error);
        Assert.That(child.Lines[0], Is.EqualTo("can-compose False"), "the child really has no normalisation data");
        var results = child.Lines.Skip(1).ToList();
        Assert.That(results, Has.Count.EqualTo(UnicodePaths.Length));
        for (var i = 0; i < UnicodePaths.Length; i++)
        {
            var path = UnicodePaths[i];
            var here = LockPath.TryNormalize(path, out var normalized, out _);
            if (results[i].StartsWith("ok ", StringComparison.Ordinal))
            {
                Assert.That(here, Is.True, $"{ChildProcess.ToHex(path)}: accepted there, so accepted here");
                Assert.That(ChildProcess.FromHex(results[i][3..]), Is.EqualTo(normalized), $"{ChildProcess.ToHex(path)}: the same stored path in both processes");
            }
            else
            {
                Assert.That(results[i], Does.StartWith("refused ").And.Contain("not valid Unicode").Or.Contain("globalization invariant mode"), ChildProcess.ToHex(path));
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(results[0], Does.Contain("globalization invariant mode"), "cafe\u0301 is refused there, not stored decomposed");
            Assert.That(results[1], Is.EqualTo("ok " + ChildProcess.ToHex("docs/caf\u00E9.md")));
            Assert.That(results[8], Does.Contain("unpaired surrogate U+D800"));
            Assert.That(results[12], Is.EqualTo("ok " + ChildProcess.ToHex("src/App.cs")));
        });
    }

    [Test]
    public void Normalize_refuses_null_invalid_unicode_and_over_long_paths()
    {
        Assert.That(() => LockPath.Normalize(null!), Throws.ArgumentException.With.Message.Contains("null"));
        var loneSurrogate = "bad" + (char)0xD800 + "surrogate";
        Assert.That(() => LockPath.Normalize(loneSurrogate), Throws.ArgumentException.With.Message.Contains("not valid Unicode"));

        var longest = string.Join('/', Enumerable.Repeat(new string('a', 9), 102)) + "/abcd"; // 1024 characters
        Assert.That(longest, Has.Length.EqualTo(LockPath.MaxLength));
        Assert.That(LockPath.Normalize(longest), Is.EqualTo(longest));
        Assert.That(() => LockPath.Normalize(longest + "e"), Throws.ArgumentException.With.Message.Contains("1025 characters long; at most 1024"));

        // Within the limit as written, over it once the trailing '/' becomes '/**'.
        var directory = new string('d', 1023) + "/";
        Assert.That(() => LockPath.Normalize(directory), Throws.ArgumentException.With.Message.Contains("normalises to"));
    }

    [Test]
    public void Normalize_refuses_generated_junk_and_accepts_generated_paths()
    {
        var faker = new Faker { Random = new Randomizer(4711) };
        for (var i = 0; i < 200; i++)
        {
            var relative = string.Join('/', faker.Make(faker.Random.Int(1, 5), () => faker.System.FileName().Replace('/', '_')));
            Assert.That(LockPath.Normalize("./" + relative.Replace('/', '\\')), Is.EqualTo(relative));

            var absolute = faker.System.FilePath();
            Assert.That(() => LockPath.Normalize(absolute), Throws.ArgumentException, absolute);

            var escaping = string.Join('/', faker.Random.Shuffle(new[] { "..", faker.System.FileName(), faker.Lorem.Word() }));
            Assert.That(() => LockPath.Normalize(escaping), Throws.ArgumentException.With.Message.Contains("'..'"), escaping);

            var control = faker.Lorem.Word() + (char)faker.Random.Int(0, 31) + faker.Lorem.Word();
            Assert.That(() => LockPath.Normalize(control), Throws.ArgumentException.With.Message.Contains("control character"));

            var blank = new string(faker.Random.ArrayElement(new[] { ' ', '\u00a0', '\u2003' }), faker.Random.Int(0, 20));
            Assert.That(() => LockPath.Normalize(blank), Throws.ArgumentException.With.Message.Contains("empty"));

            var tooLong = faker.Random.String2(faker.Random.Int(LockPath.MaxLength + 1, 5000), "abcdefgh/._-");
            Assert.That(() => LockPath.Normalize(tooLong), Throws.ArgumentException.With.Message.Contains("at most 1024"));
        }
    }

    // (a, b, overlap)
    [TestCase("src/a.cs", "src/a.cs", true)]
    [TestCase("src/a.cs", "src/b.cs", false)]
    [TestCase("src/a.cs", "Src/a.cs", false)]
    [TestCase("src/a.cs", "src/**", true)]
    [TestCase("src/x/y/z.cs", "src/**", true)]
    [TestCase("src", "src/**", true)]
    [TestCase("srcx/a.cs", "src/**", false)]
    [TestCase("lib/a.cs", "src/**", false)]
    [TestCase("docs/*.md", "docs/x/y.md", false)]
    [TestCase("docs/*.md", "docs/readme.md", true)]
    [TestCase("docs/*.md", "docs/readme.txt", false)]
    [TestCase("docs/*.md", "docs/**", true)]
    [TestCase("docs/*.md", "docs/*.txt", false)]
    [TestCase("docs/*.md", "docs/a*", true)]
    [TestCase("docs/*.md", "*/*.md", true)]
    [TestCase("src/**/test.cs", "src/a/*.cs", true)]
    [TestCase("src/**/test.cs", "src/test.cs", true)]
    [TestCase("src/**/test.cs", "src/a/b/c/test.cs", true)]
    [TestCase("src/**/test.cs", "src/a/b.cs", false)]
    [TestCase("src/**/test.cs", "lib/**", false)]
    [TestCase("src/**/a/**/b.cs", "src/x/**/y/b.cs", true)]
    [TestCase("src/**/a", "src/**/b", false)]
    [TestCase("src/**/a/x", "**/b/x", false)]
    [TestCase("src/**/a/x", "**/a/*", true)]
    [TestCase("a?c", "abc", true)]
    [TestCase("a?c", "ac", false)]
    [TestCase("a?c", "abbc", false)]
    [TestCase("a?c", "a*", true)]
    [TestCase("a?c", "*d", false)]
    [TestCase("?", "\U0001F600", true)]
    [TestCase("??", "\U0001F600", false)]
    [TestCase("a*b*c", "*x*", true)]
    [TestCase("a*b", "b*a", false)]
    [TestCase("*a", "a*", true)]
    [TestCase("ab*", "*ba", true)]
    [TestCase("a*", "b*", false)]
    [TestCase("x/a*", "x/*b", true)]
    [TestCase("**", "src/a.cs", true)]
    [TestCase("**", "**", true)]
    [TestCase("**", "a/*/b?", true)]
    [TestCase("*", "a/b", false)]
    [TestCase("*/*", "a", false)]
    [TestCase("*/**", "a", true)]
    [TestCase("src/*", "src/**", true)]
    [TestCase("src/*/x", "src/x", false)]
    [TestCase("src/**/x", "src/x", true)]
    [TestCase("src/", "src/a.cs", true)]
    [TestCase("./src\\a.cs", "src/a.cs", true)]
    public void Overlaps_answers_exactly(string a, string b, bool expected)
    {
        Assert.Multiple(() =>
        {
            Assert.That(LockPath.Overlaps(a, b), Is.EqualTo(expected), $"{a} vs {b}");
            Assert.That(LockPath.Overlaps(b, a), Is.EqualTo(expected), $"{b} vs {a} (symmetric)");
        });
    }

    [Test]
    public void Overlaps_agrees_with_a_brute_force_matcher_on_random_patterns()
    {
        // Every pattern over this tiny alphabet is tested against every path of up to three segments of up to two
        // letters: if some such path matches both, they overlap (the converse holds because the patterns are short).
        var random = new Random(12345);
        var atoms = new[] { "a", "b", "*", "?", "**" };
        var paths = AllPaths(3, 2);
        for (var i = 0; i < 400; i++)
        {
            var a = RandomPattern(random, atoms);
            var b = RandomPattern(random, atoms);
            var witness = paths.Any(p => Matches(a, p) && Matches(b, p));
            Assert.That(LockPath.Overlaps(a, b), Is.EqualTo(witness), $"{a} vs {b}");
        }
    }

    [Test]
    public void Overlaps_refuses_invalid_paths()
    {
        Assert.That(() => LockPath.Overlaps("/abs", "src/**"), Throws.ArgumentException.With.Message.Contains("absolute"));
        Assert.That(() => LockPath.Overlaps("src/**", "../x"), Throws.ArgumentException.With.Message.Contains("'..'"));
    }

    private static string RandomPattern(Random random, string[] atoms)
    {
        var segments = Enumerable.Range(0, random.Next(1, 3)).Select(_ =>
        {
            var segment = atoms[random.Next(atoms.Length)];
            return segment == "**" ? segment : segment + (random.Next(2) == 0 ? string.Empty : atoms[random.Next(4)]);
        });
        return LockPath.Normalize(string.Join('/', segments));
    }

    private static List<string> AllPaths(int maxSegments, int maxLength)
    {
        var names = new List<string>();
        var frontier = new List<string> { string.Empty };
        for (var length = 1; length <= maxLength; length++)
        {
            frontier = [.. frontier.SelectMany(prefix => new[] { prefix + "a", prefix + "b", prefix + "c" })];
            names.AddRange(frontier);
        }

        var paths = new List<string>(names);
        var level = new List<string>(names);
        for (var count = 2; count <= maxSegments; count++)
        {
            level = [.. level.SelectMany(prefix => names.Select(name => prefix + "/" + name))];
            paths.AddRange(level);
        }

        return paths;
    }

    /// <summary>A plain recursive glob matcher, independent of the library's.</summary>
    private static bool Matches(string pattern, string path) => MatchSegments(pattern.Split('/'), 0, path.Split('/'), 0);

    private static bool MatchSegments(string[] pattern, int i, string[] path, int j)
    {
        if (i == pattern.Length)
        {
            return j == path.Length;
        }

        if (pattern[i] == "**")
        {
            return Enumerable.Range(j, path.Length - j + 1).Any(k => MatchSegments(pattern, i + 1, path, k));
        }

        return j < path.Length && MatchSegment(pattern[i], 0, path[j], 0) && MatchSegments(pattern, i + 1, path, j + 1);
    }

    private static bool MatchSegment(string pattern, int i, string name, int j)
    {
        if (i == pattern.Length)
        {
            return j == name.Length;
        }

        return pattern[i] switch
        {
            '*' => Enumerable.Range(j, name.Length - j + 1).Any(k => MatchSegment(pattern, i + 1, name, k)),
            '?' => j < name.Length && MatchSegment(pattern, i + 1, name, j + 1),
            var c => j < name.Length && name[j] == c && MatchSegment(pattern, i + 1, name, j + 1),
        };
    }
}
