using System.Globalization;
using System.Text;

namespace AgentOrchestration.Data.Validation;

/// <summary>
/// The shared checks every validator uses: each refusal is a typed argument exception whose parameter name is the
/// field (<c>item.Title</c>, <c>registration.Tools[2]</c>) and whose message names the field, the value (shortened and
/// with invisible characters escaped) and what is allowed.
/// </summary>
/// <remarks>
/// Names, titles, keys and actors are one line: no control character at all. Free text (descriptions, notes, reasons)
/// may hold tab, line feed and carriage return, and no other control character. Everywhere, NUL, unpaired surrogates
/// and the noncharacters U+FFFE and U+FFFF are refused: PostgreSQL cannot store NUL in text (22021) and neither provider
/// would give back the string it was given.
/// </remarks>
internal static class Input
{
    /// <summary>How many characters of a refused value a message shows.</summary>
    public const int Shown = 64;

    /// <summary>A value as a refusal shows it: at most <see cref="Shown"/> characters, then how long it is; control characters and surrogates escaped.</summary>
    public static string Show(string? value)
    {
        if (value is null)
        {
            return "null";
        }

        var builder = new StringBuilder(Math.Min(value.Length, Shown) + 32).Append('\'');
        var end = Math.Min(value.Length, Shown);
        for (var i = 0; i < end; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < end && char.IsLowSurrogate(value[i + 1]))
            {
                builder.Append(c).Append(value[++i]);
            }
            else if (char.IsControl(c) || char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF')
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        builder.Append('\'');
        return value.Length > Shown ? builder.Append(CultureInfo.InvariantCulture, $"… ({value.Length} characters)").ToString() : builder.ToString();
    }

    /// <summary>A refusal of <paramref name="field"/>.</summary>
    public static ArgumentException Invalid(string field, string? value, string problem, string allowed) =>
        new($"{field} {Show(value)} {problem}. Allowed: {allowed}.", field);

    /// <summary>A required one-line value (a name, title, key or actor): trimmed, 1 to <paramref name="maxLength"/> characters, no control characters.</summary>
    public static string Name(string? value, string field, int maxLength)
    {
        if (value is null)
        {
            throw new ArgumentNullException(field, $"{field} is required. Allowed: 1 to {maxLength} characters on one line.");
        }

        var trimmed = value.Trim();
        if (trimmed.Length == 0)
        {
            throw Invalid(field, value, "is empty or white space", $"1 to {maxLength} characters on one line");
        }

        Length(value, trimmed, field, maxLength, "on one line");
        Characters(trimmed, field, multiline: false, $"1 to {maxLength} characters on one line, without control characters or invalid Unicode");
        return trimmed;
    }

    /// <summary>A key compared exactly (not trimmed): 1 to <paramref name="maxLength"/> characters on one line.</summary>
    public static string Key(string? value, string field, int maxLength)
    {
        if (value is null)
        {
            throw new ArgumentNullException(field, $"{field} is required. Allowed: 1 to {maxLength} characters on one line.");
        }

        if (value.Length == 0)
        {
            throw Invalid(field, value, "is empty", $"1 to {maxLength} characters on one line");
        }

        Length(value, value, field, maxLength, "on one line");
        Characters(value, field, multiline: false, $"1 to {maxLength} characters on one line, without control characters or invalid Unicode");
        return value;
    }

    /// <summary>An optional one-line value: <see langword="null"/>, or as <see cref="Name"/>.</summary>
    public static string? OptionalName(string? value, string field, int maxLength) =>
        value is null ? null : Name(value, field, maxLength);

    /// <summary>Free text: <see langword="null"/> unless <paramref name="required"/>, at most <paramref name="maxLength"/> characters, tab and line breaks allowed; stored as given.</summary>
    public static string? Text(string? value, string field, int maxLength, bool required = false)
    {
        if (value is null)
        {
            return required ? throw new ArgumentNullException(field, $"{field} is required. Allowed: 1 to {maxLength} characters.") : null;
        }

        if (required && string.IsNullOrWhiteSpace(value))
        {
            throw Invalid(field, value, "is empty or white space", $"1 to {maxLength} characters that are not all white space");
        }

        Length(value, value, field, maxLength, "(tab and line breaks allowed)");
        Characters(value, field, multiline: true, $"at most {maxLength} characters; tab, line feed and carriage return but no other control characters, and no invalid Unicode");
        return value;
    }

    /// <summary>An identifier that must name a row: not <see cref="Guid.Empty"/>.</summary>
    public static Guid Id(Guid id, string field) =>
        id == Guid.Empty
            ? throw new ArgumentException($"{field} is Guid.Empty, which names no row. Allowed: the identifier of an existing row.", field)
            : id;

    /// <summary>An optional identifier: <see langword="null"/>, or not <see cref="Guid.Empty"/>.</summary>
    public static Guid? Id(Guid? id, string field) => id is { } value ? Id(value, field) : null;

    /// <summary>A defined value of <typeparamref name="TEnum"/>.</summary>
    public static TEnum Defined<TEnum>(TEnum value, string field)
        where TEnum : struct, Enum =>
        Enum.IsDefined(value)
            ? value
            : throw new ArgumentOutOfRangeException(field, value, $"{field} {value} is not a defined {typeof(TEnum).Name}. Allowed: {string.Join(", ", Enum.GetNames<TEnum>())}.");

    /// <summary>An integer from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static int Range(int value, string field, int min, int max, string? meaning = null) =>
        value >= min && value <= max
            ? value
            : throw new ArgumentOutOfRangeException(field, value, $"{field} {value} is out of range. Allowed: {min} to {max}{(meaning is null ? string.Empty : " (" + meaning + ")")}.");

    /// <summary>A duration more than zero and at most <paramref name="max"/>.</summary>
    public static TimeSpan Duration(TimeSpan value, string field, TimeSpan max) =>
        value > TimeSpan.Zero && value <= max
            ? value
            : throw new ArgumentOutOfRangeException(field, value, $"{field} {value} is out of range. Allowed: more than zero and at most {max}.");

    /// <summary>Hours as an hours column holds them: 0 to <see cref="InputLimits.MaxHours"/> with at most <see cref="InputLimits.HoursScale"/> decimals (never rounded).</summary>
    public static decimal? Hours(decimal? value, string field)
    {
        if (value is not { } hours)
        {
            return null;
        }

        if (hours < 0 || hours > InputLimits.MaxHours)
        {
            throw new ArgumentOutOfRangeException(field, hours, $"{field} {hours.ToString(CultureInfo.InvariantCulture)} is out of range. Allowed: 0 to {InputLimits.MaxHours.ToString(CultureInfo.InvariantCulture)} with at most {InputLimits.HoursScale} decimals.");
        }

        if (decimal.Round(hours, InputLimits.HoursScale) != hours)
        {
            throw new ArgumentOutOfRangeException(field, hours, $"{field} {hours.ToString(CultureInfo.InvariantCulture)} has more decimals than are stored. Allowed: 0 to {InputLimits.MaxHours.ToString(CultureInfo.InvariantCulture)} with at most {InputLimits.HoursScale} decimals (round it yourself).");
        }

        return hours;
    }

    /// <summary>
    /// A list the caller passes: not <see langword="null"/> when <paramref name="required"/>, at most
    /// <paramref name="maxCount"/> entries, none of them <see langword="null"/> (a null entry in a JSON column breaks every
    /// later read of the row); each entry is then checked by <paramref name="entry"/> with its field name.
    /// </summary>
    public static void Entries<T>(IEnumerable<T?>? items, string field, int maxCount = InputLimits.ListEntries, Action<T, string>? entry = null, bool required = false)
    {
        if (items is null)
        {
            if (required)
            {
                throw new ArgumentNullException(field, $"{field} is null. Allowed: a list (empty for none) of at most {maxCount} entries.");
            }

            return;
        }

        var index = 0;
        foreach (var item in items)
        {
            if (index == maxCount)
            {
                throw new ArgumentException($"{field} has more than {maxCount} entries. Allowed: at most {maxCount}.", field);
            }

            var name = $"{field}[{index}]";
            if (item is null)
            {
                throw new ArgumentNullException(name, $"{name} is null. Allowed: no null entries (leave an entry out instead).");
            }

            entry?.Invoke(item, name);
            index++;
        }
    }

    private static void Length(string value, string checkedValue, string field, int maxLength, string what)
    {
        if (checkedValue.Length > maxLength)
        {
            throw Invalid(field, value, "is too long", $"1 to {maxLength} characters {what}");
        }
    }

    private static void Characters(string value, string field, bool multiline, string allowed)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }

            string? problem = null;
            if (char.IsSurrogate(c))
            {
                problem = $"has an unpaired surrogate U+{(int)c:X4} at position {i}";
            }
            else if (c is '\uFFFE' or '\uFFFF')
            {
                problem = $"has the noncharacter U+{(int)c:X4} at position {i}";
            }
            else if (char.IsControl(c) && !(multiline && c is '\t' or '\n' or '\r'))
            {
                problem = $"has the control character U+{(int)c:X4} at position {i}";
            }

            if (problem is not null)
            {
                throw Invalid(field, value, problem, allowed);
            }
        }
    }
}
