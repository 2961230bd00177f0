using AgentOrchestration.Data.Locks;
using Bogus;

namespace AgentOrchestration.Data.Tests.Locks;

/// <summary>
/// The conservative overlap test of the PostgreSQL one-round-trip acquisition (<see cref="LockPatterns.MayOverlap"/>):
/// whenever the exact matcher says two patterns overlap, the prefix test must say "maybe", or the fast path could grant
/// an overlapping lock. Without a database.
/// </summary>
public sealed class LockPatternPrefixTests
{
    // Literal pieces (with case, non-ASCII, a supplementary character and one from the private use area), wildcards, separators.
    private static readonly string[] Pieces = ["a", "b", "A", "ab", "src", "s", "é", "😀", "\uE001", ".", "*", "?", "*", "?"];

    [TestCase("src/**", "src")]
    [TestCase("src/a.cs", "src/a.cs")]
    [TestCase("src/*.cs", "src")]
    [TestCase("src/a*.cs", "src/a")]
    [TestCase("**/d.cs", "")]
    [TestCase("docs/?x", "docs")]
    public void The_prefix_is_the_literal_text_before_the_first_wildcard_without_a_closing_slash(string pattern, string expected)
    {
        Assert.That(LockPatterns.LiteralPrefix(LockPath.Normalize(pattern)), Is.EqualTo(expected));
    }

    [TestCase("src/**", "src", true)]
    [TestCase("src/**", "srcx/a.cs", true)] // "maybe": not an overlap, but the prefix test cannot tell
    [TestCase("docs/*.md", "src/a.cs", false)]
    [TestCase("Src/a.cs", "src/a.cs", false)]
    [TestCase("src/a?.cs", "src/b.cs", false)]
    [TestCase("**", "anything/at/all.cs", true)]
    public void May_overlap_examples(string a, string b, bool expected)
    {
        Assert.That(LockPatterns.MayOverlap(LockPath.Normalize(a), LockPath.Normalize(b)), Is.EqualTo(expected));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public void Whenever_two_generated_patterns_overlap_the_prefix_test_says_maybe(int seed)
    {
        var faker = new Faker { Random = new Randomizer(seed) };
        var overlapping = 0;
        var provedApart = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var a = Pattern(faker);
            var b = faker.Random.Bool(0.3f) ? Mutate(faker, a) : Pattern(faker);
            if (a is null || b is null)
            {
                continue;
            }

            if (LockPatterns.Overlaps(a, b))
            {
                overlapping++;
                Assert.That(LockPatterns.MayOverlap(a, b), Is.True, $"'{a}' and '{b}' overlap, so the prefix test must say maybe");
            }
            else if (!LockPatterns.MayOverlap(a, b))
            {
                provedApart++;
            }
        }

        // Both outcomes happen often, so the property is tested on overlaps and the test is not "always maybe".
        Assert.Multiple(() =>
        {
            Assert.That(overlapping, Is.GreaterThan(1_000));
            Assert.That(provedApart, Is.GreaterThan(1_000));
        });
    }

    /// <summary>A normalised pattern of one to four segments (a <c>**</c> segment now and then), or <see langword="null"/> if it is not a valid lock path.</summary>
    private static string? Pattern(Faker faker)
    {
        var segments = faker.Make(faker.Random.Int(1, 4), () => faker.Random.Bool(0.15f)
            ? "**"
            : string.Concat(faker.Make(faker.Random.Int(1, 3), () => faker.Random.ArrayElement(Pieces))));
        return LockPath.TryNormalize(string.Join('/', segments), out var normalized, out _) ? normalized : null;
    }

    /// <summary>A pattern close to <paramref name="pattern"/>: a character replaced by a wildcard or a literal, or a segment added, so overlaps are common.</summary>
    private static string? Mutate(Faker faker, string? pattern)
    {
        if (pattern is null)
        {
            return null;
        }

        var text = faker.Random.Int(0, 2) switch
        {
            0 => pattern + "/" + faker.Random.ArrayElement(Pieces),
            1 => faker.Random.ArrayElement(Pieces) + "/" + pattern,
            _ => pattern.Remove(faker.Random.Int(0, pattern.Length - 1), 1).Insert(faker.Random.Int(0, pattern.Length - 1), faker.Random.ArrayElement(Pieces)),
        };
        return LockPath.TryNormalize(text, out var normalized, out _) ? normalized : null;
    }
}
