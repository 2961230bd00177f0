using System.Text.RegularExpressions;
using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Agents;

/// <summary>The rules for agent values, checked before anything is written.</summary>
internal static partial class AgentValidation
{
    public const int MaxConcurrency = 1000;

    public static string Slug(string? slug, string parameter = "slug")
    {
        if (slug is null || slug.Length > 100 || !SlugPattern().IsMatch(slug))
        {
            throw new ArgumentException(
                $"The slug '{slug}' is not valid: use lowercase letters and digits in groups joined by single dashes (for example 'backend-1'), at most 100 characters.", parameter);
        }

        return slug;
    }

    public static string Text(string? value, string parameter, int maxLength)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > maxLength)
        {
            throw new ArgumentException($"The {parameter} '{value}' is not valid: it must have 1 to {maxLength} characters.", parameter);
        }

        return trimmed;
    }

    public static int Concurrency(int maxConcurrentTasks) =>
        maxConcurrentTasks is >= 1 and <= MaxConcurrency
            ? maxConcurrentTasks
            : throw new ArgumentOutOfRangeException(nameof(maxConcurrentTasks), maxConcurrentTasks, $"An agent holds 1 to {MaxConcurrency} assignments at once.");

    public static List<CapabilityEntry> Capabilities(IReadOnlyCollection<CapabilityEntry>? capabilities)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        var normalised = new List<CapabilityEntry>(capabilities.Count);
        foreach (var capability in capabilities)
        {
            var name = Text(capability?.Name, "capability", 100).ToLowerInvariant();
            if (capability!.Proficiency is < 1 or > 5)
            {
                throw new ArgumentOutOfRangeException(nameof(capabilities), capability.Proficiency, $"The proficiency of '{name}' must be 1 to 5.");
            }

            if (normalised.Any(c => c.Name == name))
            {
                throw new ArgumentException($"The capability '{name}' is listed twice; list each capability once.", nameof(capabilities));
            }

            normalised.Add(new CapabilityEntry { Name = name, Proficiency = capability.Proficiency });
        }

        return normalised;
    }

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex SlugPattern();
}
