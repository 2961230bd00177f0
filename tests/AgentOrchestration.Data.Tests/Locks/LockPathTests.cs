using AgentOrchestration.Data.Locks;
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
