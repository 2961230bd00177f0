using Bogus;

namespace AgentOrchestration.Data.Tests.Validation;

/// <summary>One way to break a field: what it is, and the value.</summary>
public sealed record Broken<T>(string Label, T Value);

/// <summary>
/// Seeded Bogus generators of bad values, one family per kind of field: each family lists every way the sweep breaks
/// that kind of field, with the random parts (lengths, which control character, which surrogate) drawn from the seed.
/// </summary>
public sealed class Breaks(Faker faker)
{
    private static readonly char[] FreeTextControls = [.. Enumerable.Range(1, 0x1F).Where(c => c is not ('\t' or '\n' or '\r')).Select(c => (char)c), '\u007F', '\u0085', '\u009F'];

    /// <summary>A one-line value: a name, title, key or actor. Everything here is refused, <see langword="null"/> too unless the field is optional.</summary>
    public IEnumerable<Broken<string?>> OneLine(int maxLength, bool optional = false)
    {
        if (!optional)
        {
            yield return new("null", null);
        }

        yield return new("empty", string.Empty);
        yield return new("white space", faker.PickRandom("   ", " \u00A0 ", "\u2003"));
        foreach (var broken in Length(maxLength))
        {
            yield return broken;
        }

        yield return new("NUL", Word() + "\0" + Word());
        var control = (char)faker.Random.Int(1, 0x1F);
        yield return new($"control character U+{(int)control:X4}", Word() + control + Word());
        yield return new("line feed", Word() + "\n" + Word());
        yield return new("tab", Word() + "\t" + Word());
        foreach (var broken in Unicode())
        {
            yield return broken;
        }
    }

    /// <summary>Free text (descriptions, notes, reasons): tab and line breaks are allowed, other control characters and invalid Unicode are not.</summary>
    public IEnumerable<Broken<string?>> FreeText(int maxLength, bool required = false)
    {
        if (required)
        {
            yield return new("null", null);
            yield return new("empty", string.Empty);
            yield return new("white space", faker.PickRandom(" ", "\n\t \r\n"));
        }

        foreach (var broken in Length(maxLength))
        {
            yield return broken;
        }

        yield return new("NUL", faker.Lorem.Sentence() + "\0");
        var control = faker.PickRandom(FreeTextControls);
        yield return new($"control character U+{(int)control:X4}", faker.Lorem.Sentence() + control + faker.Lorem.Sentence());
        foreach (var broken in Unicode())
        {
            yield return broken;
        }
    }

    /// <summary>A session key: too long, blank, or with characters no key can hold.</summary>
    public IEnumerable<Broken<string?>> SessionKey(int maxLength, bool optional = false) =>
        Key(maxLength, optional).Append(new("white space", faker.PickRandom(" ", "   ")));

    /// <summary>A key that names a row (an idempotency key, a session key): too long, or with characters no key can hold.</summary>
    public IEnumerable<Broken<string?>> Key(int maxLength, bool optional = false)
    {
        if (!optional)
        {
            yield return new("null", null);
        }

        yield return new("empty", string.Empty);
        foreach (var broken in Length(maxLength))
        {
            yield return broken;
        }

        yield return new("NUL", Word() + "\0");
        var control = (char)faker.Random.Int(1, 0x1F);
        yield return new($"control character U+{(int)control:X4}", Word() + control + Word());
        foreach (var broken in Unicode())
        {
            yield return broken;
        }
    }

    /// <summary>A slug (agents, projects): the one-line breaks plus what the slug pattern refuses.</summary>
    public IEnumerable<Broken<string?>> Slug(int maxLength)
    {
        foreach (var broken in OneLine(maxLength))
        {
            yield return broken;
        }

        yield return new("upper case", Word().ToUpperInvariant() + "-1");
        yield return new("double dash", Word() + "--" + Word());
        yield return new("leading dash", "-" + Word());
        yield return new("space", Word() + " " + Word());
        yield return new("non-ASCII letter", Word() + "-caf\u00E9");
    }

    public IEnumerable<Broken<int>> Number(int min, int max)
    {
        yield return new($"{min - 1} (below {min})", min - 1);
        yield return new($"above {max}", faker.Random.Int(max + 1, max + 1000));
        yield return new("int.MinValue", int.MinValue);
        yield return new("int.MaxValue", int.MaxValue);
    }

    /// <summary>Hours as a numeric(8, 2) column holds them: negative, too large, or with more decimals than are stored.</summary>
    public IEnumerable<Broken<decimal?>> Hours()
    {
        yield return new("-0.01", -0.01m);
        yield return new("1000000", 1_000_000m);
        yield return new("1.005", 1.005m);
        var precise = Math.Round(faker.Random.Decimal(0, 500), 2) + (faker.Random.Int(1, 9) / 1000m);
        yield return new($"{precise} (three decimals)", precise);
        yield return new("decimal.MaxValue", decimal.MaxValue);
    }

    public IEnumerable<Broken<TEnum>> Enum<TEnum>()
        where TEnum : struct, Enum
    {
        yield return new("-1", (TEnum)System.Enum.ToObject(typeof(TEnum), -1));
        var undefined = faker.Random.Int(System.Enum.GetValues<TEnum>().Length, 10_000);
        yield return new($"{undefined}", (TEnum)System.Enum.ToObject(typeof(TEnum), undefined));
    }

    public IEnumerable<Broken<TimeSpan>> Duration(TimeSpan max)
    {
        yield return new("zero", TimeSpan.Zero);
        yield return new("negative", -TimeSpan.FromSeconds(faker.Random.Int(1, 3600)));
        yield return new("just over the maximum", max + TimeSpan.FromTicks(1));
        yield return new("TimeSpan.MaxValue", TimeSpan.MaxValue);
    }

    /// <summary>SQL a careless layer would execute: the library stores it verbatim.</summary>
    public string Sql() => faker.PickRandom(
        "Robert'); DROP TABLE work_items;--",
        "' OR '1'='1' --",
        "x\"; DELETE FROM projects; --",
        "$$; TRUNCATE agent_profiles CASCADE; $$",
        "1; UPDATE task_assignments SET status = 'completed' WHERE 1=1; --") + " " + Word();

    public string Word() => faker.Lorem.Word();

    private IEnumerable<Broken<string?>> Length(int maxLength)
    {
        yield return new($"{maxLength + 1} characters", faker.Random.String2(maxLength + 1));
        yield return new("10000 characters", faker.Random.String2(Math.Max(10_000, maxLength + 1)));
    }

    private IEnumerable<Broken<string?>> Unicode()
    {
        var high = (char)faker.Random.Int(0xD800, 0xDBFF);
        var low = (char)faker.Random.Int(0xDC00, 0xDFFF);
        yield return new($"unpaired high surrogate U+{(int)high:X4}", Word() + high + Word());
        yield return new($"unpaired low surrogate U+{(int)low:X4}", Word() + low);
        yield return new("reversed surrogate pair", Word() + low + high + Word());
        yield return new("noncharacter U+FFFE", Word() + "\uFFFE");
    }
}
