namespace AgentOrchestration.Data.Sessions;

/// <summary>What one run of <see cref="ISessionReaper.ReapAsync"/> did.</summary>
/// <param name="SessionIds">The keys of the sessions this run marked failed.</param>
/// <param name="LocksReleased">How many live file locks those sessions held and this run released (their expired locks are deleted too, uncounted).</param>
/// <param name="WorkItemsReturned">The work items this run returned to the queue.</param>
public sealed record SessionReapResult(IReadOnlyList<string> SessionIds, int LocksReleased, IReadOnlyList<Guid> WorkItemsReturned)
{
    /// <summary>Gets the number of sessions reaped.</summary>
    public int SessionsReaped => SessionIds.Count;
}
