using System.Text.RegularExpressions;
using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Validation;

/// <summary>The rules for agent registrations, updates, capabilities and slugs, checked before anything is read or written.</summary>
internal static partial class AgentValidation
{
    private const string SlugRule = "lowercase letters and digits in groups joined by single dashes (for example 'backend-1')";

    public static void Registration(AgentRegistration? registration)
    {
        ArgumentNullException.ThrowIfNull(registration);
        Input.Name(registration.Name, "registration.Name", InputLimits.Name);
        Slug(registration.Slug, "registration.Slug");
        Input.Name(registration.Type, "registration.Type", InputLimits.AgentType);
        Input.Name(registration.Mode, "registration.Mode", InputLimits.AgentMode);
        Input.Text(registration.Description, "registration.Description", InputLimits.Text);
        Capabilities(registration.Capabilities, "registration.Capabilities");
        Json(registration.Constraints, registration.Tools, registration.Metadata, "registration");
        Concurrency(registration.MaxConcurrentTasks, "registration.MaxConcurrentTasks");
    }

    public static void Update(string? slug, AgentProfileUpdate? update)
    {
        Slug(slug);
        ArgumentNullException.ThrowIfNull(update);
        Input.OptionalName(update.Name, "update.Name", InputLimits.Name);
        Input.OptionalName(update.Type, "update.Type", InputLimits.AgentType);
        Input.OptionalName(update.Mode, "update.Mode", InputLimits.AgentMode);
        Input.Text(update.Description, "update.Description", InputLimits.Text);
        Json(update.Constraints, update.Tools, update.Metadata, "update");
    }

    public static string Slug(string? slug, string parameter = "slug")
    {
        if (slug is null)
        {
            throw new ArgumentNullException(parameter, $"{parameter} is required. Allowed: {SlugRule}, at most {InputLimits.Slug} characters.");
        }

        if (slug.Length > InputLimits.Slug || !SlugPattern().IsMatch(slug))
        {
            throw Input.Invalid(parameter, slug, "is not a valid slug", $"{SlugRule}, at most {InputLimits.Slug} characters");
        }

        return slug;
    }

    public static int Concurrency(int maxConcurrentTasks, string parameter = "maxConcurrentTasks") =>
        Input.Range(maxConcurrentTasks, parameter, 1, InputLimits.MaxConcurrency, "assignments an agent holds at once");

    /// <summary>Checks and normalises capabilities: names trimmed and lowercased, each once, proficiency 1 to 5.</summary>
    public static List<CapabilityEntry> Capabilities(IReadOnlyCollection<CapabilityEntry>? capabilities, string parameter = "capabilities")
    {
        Input.Entries(capabilities, parameter, required: true);
        var normalised = new List<CapabilityEntry>(capabilities!.Count);
        var index = 0;
        foreach (var capability in capabilities)
        {
            var field = $"{parameter}[{index++}]";
            var name = Input.Name(capability.Name, field + ".Name", InputLimits.Capability).ToLowerInvariant();
            Input.Range(capability.Proficiency, field + ".Proficiency", 1, 5, "1 basic to 5 expert");
            if (normalised.Any(c => c.Name == name))
            {
                throw Input.Invalid(field + ".Name", name, "is listed twice", "each capability once");
            }

            normalised.Add(new CapabilityEntry { Name = name, Proficiency = capability.Proficiency });
        }

        return normalised;
    }

    private static void Json(AgentConstraints? constraints, List<AgentTool>? tools, List<MetadataEntry>? metadata, string parameter)
    {
        if (constraints is not null)
        {
            var field = parameter + ".Constraints";
            Input.Entries(constraints.Rules, field + ".Rules", entry: (rule, name) => Input.Text(rule, name, InputLimits.Note, required: true), required: true);
            Input.Entries(constraints.AllowedPaths, field + ".AllowedPaths", entry: (path, name) => Input.Name(path, name, InputLimits.Note), required: true);
            Input.Entries(constraints.ForbiddenPaths, field + ".ForbiddenPaths", entry: (path, name) => Input.Name(path, name, InputLimits.Note), required: true);
            Input.Hours(constraints.MaxHoursPerTask, field + ".MaxHoursPerTask");
        }

        Input.Entries(tools, parameter + ".Tools", entry: (tool, name) =>
        {
            Input.Name(tool.Name, name + ".Name", InputLimits.Name);
            Input.Text(tool.Description, name + ".Description", InputLimits.Note);
        });
        Metadata(metadata, parameter + ".Metadata");
    }

    /// <summary>A JSON list of named values: no null entries, each key one line, each value free text.</summary>
    public static void Metadata(IEnumerable<MetadataEntry?>? metadata, string field) =>
        Input.Entries(metadata, field, entry: (entry, name) =>
        {
            Input.Name(entry.Key, name + ".Key", InputLimits.Name);
            Input.Text(entry.Value, name + ".Value", InputLimits.Text);
        });

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex SlugPattern();
}
