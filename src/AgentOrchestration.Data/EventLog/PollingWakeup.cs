namespace AgentOrchestration.Data.EventLog;

/// <summary>Wakes a watch when its poll interval has passed: for databases that cannot notify (SQLite).</summary>
internal sealed class PollingWakeup : IEventWakeup
{
    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => Task.Delay(timeout, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
