namespace AgentOrchestration.Sample.Data;

/// <summary>
/// The sample's own entity, beside the library's tables: one row per scenario run. Times are UTC <see cref="DateTime"/>s
/// because SQLite cannot order or compare <see cref="DateTimeOffset"/> values (the library maps its own for you).
/// </summary>
public sealed class ScenarioRun
{
    public Guid Id { get; set; }

    public Guid ProjectId { get; set; }

    public string Provider { get; set; } = null!;

    public int Agents { get; set; }

    public int Tasks { get; set; }

    public DateTime StartedAt { get; set; }

    public DateTime? FinishedAt { get; set; }

    public string? Outcome { get; set; }
}
