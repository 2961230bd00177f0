namespace AgentOrchestration.Data.EventLog;

/// <summary>What a watch waits on between reads: PostgreSQL notifications, or a timer on SQLite.</summary>
internal interface IEventWakeup : IAsyncDisposable
{
    /// <summary>Waits until new events may have committed, or <paramref name="timeout"/> passes.</summary>
    /// <param name="timeout">The longest wait.</param>
    /// <param name="cancellationToken">A token to cancel the wait.</param>
    /// <returns>A task that completes when the watch should read again.</returns>
    Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken);
}
