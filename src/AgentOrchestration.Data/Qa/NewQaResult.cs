using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Qa;

/// <summary>A QA result to record with <see cref="IQaService.RecordResultAsync"/>.</summary>
/// <param name="TaskId">The task or bug checked; it must not be done or cancelled.</param>
/// <param name="SessionId">The reviewing session: active, in the task's project, and not the session implementing the task.</param>
/// <param name="QaType">The kind of check.</param>
/// <param name="Status">The outcome; a <see cref="QaResultStatus.Fail"/> needs <see cref="RemediationNeeded"/>.</param>
public sealed record NewQaResult(Guid TaskId, string SessionId, QaType QaType, QaResultStatus Status)
{
    /// <summary>The most findings or mock violations one result may list.</summary>
    public const int MaxEntries = 500;

    /// <summary>The longest remediation text.</summary>
    public const int MaxRemediationLength = 10_000;

    /// <summary>Gets the specific findings (each with a message of 1 to 2000 characters and, if given, a line of 1 or more).</summary>
    public IReadOnlyList<QaFinding>? Findings { get; init; }

    /// <summary>Gets the mocks and shortcuts detected (each with a description of 1 to 2000 characters and, if given, a line of 1 or more).</summary>
    public IReadOnlyList<MockViolation>? MockViolations { get; init; }

    /// <summary>
    /// Gets whether the success criteria are met. For a <c>success_criteria</c> result it defaults to whether the status is
    /// not <c>fail</c>, must agree with it (a pass or warning meets them, a fail does not), and becomes the task's
    /// <c>success_criteria_met</c>; for other types it is stored as given (<see langword="false"/> by default).
    /// </summary>
    public bool? SuccessCriteriaMet { get; init; }

    /// <summary>Gets what must be fixed (up to <see cref="MaxRemediationLength"/> characters); required when the result fails.</summary>
    public string? RemediationNeeded { get; init; }

    /// <summary>Gets who records the result, as written to the history and events; the session key by default.</summary>
    public string? Actor { get; init; }
}
