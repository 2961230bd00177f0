namespace AgentOrchestration.Data.Faults;

/// <summary>
/// Told about every fault the library retries or gives up on: the one place logs and metrics of retries hook in.
/// Registered as a singleton; the library's logs, metrics and spans are its default (Diagnostics/TelemetryRetryObserver).
/// </summary>
internal interface IRetryObserver
{
    /// <summary>Attempt <paramref name="attempt"/> of <paramref name="operation"/> failed with <paramref name="fault"/>; the next runs after <paramref name="delay"/>.</summary>
    void Retrying(string operation, int attempt, TimeSpan delay, Exception fault);

    /// <summary>
    /// <paramref name="operation"/> failed for good after <paramref name="attempts"/> attempts; the caller gets an
    /// <see cref="AgentOrchestrationTransientException"/> with <paramref name="mayHaveCommitted"/>.
    /// </summary>
    void GaveUp(string operation, int attempts, bool mayHaveCommitted, Exception fault);

    /// <summary>A commit of <paramref name="operation"/> whose outcome was unknown was checked: <paramref name="landed"/> says whether it was written.</summary>
    void Resolved(string operation, bool landed);
}
