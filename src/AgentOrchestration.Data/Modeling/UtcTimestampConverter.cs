using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace AgentOrchestration.Data.Modeling;

/// <summary>
/// Stores <see cref="DateTimeOffset"/> as a UTC <see cref="DateTime"/> truncated to microseconds.
/// SQLite cannot compare or order <see cref="DateTimeOffset"/> text, but its UTC <see cref="DateTime"/> text sorts correctly;
/// PostgreSQL keeps <c>timestamptz</c> at microsecond precision, so truncating makes both providers round-trip the same value.
/// </summary>
internal sealed class UtcTimestampConverter() : ValueConverter<DateTimeOffset, DateTime>(v => ToStore(v), v => FromStore(v))
{
    public static UtcTimestampConverter Instance { get; } = new();

    public static DateTime ToStore(DateTimeOffset value)
    {
        var ticks = value.UtcTicks;
        return new DateTime(ticks - (ticks % 10), DateTimeKind.Utc);
    }

    public static DateTimeOffset FromStore(DateTime value) =>
        new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
