namespace AgentOrchestration.Data.Validation;

/// <summary>
/// The limits of every value a caller passes in, shared by the EF model (column lengths and precision) and the
/// validators, so both providers refuse the same values before anything is written (docs/schema.md lists them).
/// </summary>
internal static class InputLimits
{
    /// <summary>Display names: agents, projects, sprints.</summary>
    public const int Name = 200;

    /// <summary>Agent slugs.</summary>
    public const int Slug = 100;

    /// <summary>Project keys.</summary>
    public const int ProjectKey = 64;

    /// <summary>Agent types and capability names.</summary>
    public const int AgentType = 100;

    /// <summary>Agent working modes.</summary>
    public const int AgentMode = 50;

    /// <summary>Capability names (agents' and work items' required ones).</summary>
    public const int Capability = 100;

    /// <summary>Work item and backlog titles.</summary>
    public const int Title = 500;

    /// <summary>Who did something (actors, backlog agents and submitters), as stored in <c>orchestration_events.actor</c>.</summary>
    public const int Actor = 200;

    /// <summary>Session keys.</summary>
    public const int SessionId = 200;

    /// <summary>Short free text: reasons, notes, current actions, QA findings, tool and metadata names.</summary>
    public const int Note = 2000;

    /// <summary>Long free text: descriptions, success criteria, goals, instructions, analysis notes, metadata values.</summary>
    public const int Text = 20_000;

    /// <summary>Entries of one JSON list a caller passes (tools, metadata, rules, paths, files, findings).</summary>
    public const int ListEntries = 500;

    /// <summary>The digits of an hours column (<c>numeric(8, 2)</c>).</summary>
    public const int HoursPrecision = 8;

    /// <summary>The decimals of an hours column.</summary>
    public const int HoursScale = 2;

    /// <summary>The most assignments an agent may hold at once.</summary>
    public const int MaxConcurrency = 1000;

    /// <summary>The largest value an hours column holds: 999999.99.</summary>
    public static decimal MaxHours { get; } = (decimal)Math.Pow(10, HoursPrecision - HoursScale) - (decimal)Math.Pow(10, -HoursScale);
}
