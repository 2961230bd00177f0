namespace AgentOrchestration.Data.Faults;

/// <summary>
/// A test's view of the retry policy: which operations ran under it, the order of retries, give-ups and resolved commits,
/// and a point to act at between attempts. Hosts register none: <see cref="FaultPolicy"/> reports to the library's telemetry itself and
/// tells an observer only when one is registered.
/// </summary>
internal interface IRetryObserver
{
    /// <summary>An attempt of <paramref name="operation"/> starts under the policy (a stream: the call that opens it).</summary>
    void Started(string operation);

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
