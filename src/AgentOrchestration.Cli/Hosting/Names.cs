using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentOrchestration.Data.Claims;

namespace AgentOrchestration.Cli.Hosting;

/// <summary>Parses the values a user types: snake_case enum names (as stored in the schema), durations, ids and leases.</summary>
internal static partial class Names
{
    public static string Of<TEnum>(TEnum value)
        where TEnum : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    public static TEnum Parse<TEnum>(string value, string field)
        where TEnum : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<TEnum>())
        {
            if (string.Equals(Of(candidate), value.Trim(), StringComparison.OrdinalIgnoreCase)
                || string.Equals(candidate.ToString(), value.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return candidate;
            }
        }

        throw new InputException($"{field} '{DatabaseSettings.Shorten(value)}' is not allowed; use one of: {string.Join(", ", Enum.GetValues<TEnum>().Select(Of))}");
    }

    /// <summary>A duration such as <c>30m</c>, <c>90s</c>, <c>2h</c>, <c>1h30m</c> or <c>00:30:00</c>.</summary>
    public static TimeSpan Duration(string value, string field)
    {
        var match = DurationPattern().Match(value.Trim());
        if (match.Success && match.Value.Length > 0)
        {
            double Part(string name) => match.Groups[name].Success ? double.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture) : 0;
            var span = TimeSpan.FromHours(Part("h")) + TimeSpan.FromMinutes(Part("m")) + TimeSpan.FromSeconds(Part("s"));
            if (span > TimeSpan.Zero)
            {
                return span;
            }
        }
        else if (value.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero)
        {
            return span;
        }

        throw new InputException($"{field} '{DatabaseSettings.Shorten(value)}' is not a positive duration; write it like 30m, 90s, 2h or 1h30m");
    }

    public static Guid Id(string value, string field) =>
        Guid.TryParse(value.Trim(), out var id) ? id : throw new InputException($"{field} '{DatabaseSettings.Shorten(value)}' is not an id (a GUID such as 01934f5e-7c2a-7b1e-9f00-1c2d3e4f5a6b)");

    /// <summary>The lease as <c>claim</c> prints it: <c>WORK_ITEM_ID:ASSIGNMENT_ID:FENCING_TOKEN</c>.</summary>
    public static string Lease(WorkLease lease) => $"{lease.WorkItemId}:{lease.AssignmentId}:{lease.FencingToken.ToString(CultureInfo.InvariantCulture)}";

    public static WorkLease ParseLease(string value)
    {
        var parts = value.Trim().Split(':');
        if (parts.Length == 3 && Guid.TryParse(parts[0], out var item) && Guid.TryParse(parts[1], out var assignment)
            && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var token) && token > 0)
        {
            return new WorkLease(item, assignment, token);
        }

        throw new InputException($"lease '{DatabaseSettings.Shorten(value)}' is malformed; pass it as 'claim' printed it: WORK_ITEM_ID:ASSIGNMENT_ID:FENCING_TOKEN");
    }

    [GeneratedRegex(@"^(?:(?<h>\d+(?:\.\d+)?)h)?(?:(?<m>\d+(?:\.\d+)?)m)?(?:(?<s>\d+(?:\.\d+)?)s)?$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();
}
