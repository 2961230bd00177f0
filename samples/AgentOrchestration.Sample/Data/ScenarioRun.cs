namespace AgentOrchestration.Sample.Data;

/// <summary>The sample's own entity, beside the library's tables: one row per scenario run.</summary>
public sealed class ScenarioRun
{
    public Guid Id { get; set; }

    public Guid ProjectId { get; set; }

    public string Provider { get; set; } = null!;

    public int Agents { get; set; }

    public int Tasks { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public string? Outcome { get; set; }
}
