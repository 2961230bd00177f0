using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Faults;
using AgentOrchestration.Data.Storage;

namespace AgentOrchestration.Data.Diagnostics;

/// <summary>
/// <see cref="IEventLog"/> as registered: a read under the retry policy (<see cref="ServiceBoundary{TService}"/>); a watch
/// reports a fault it could not ride out typed, and records each event's lag (from its timestamp to its delivery, by the
/// library's clock) in <c>agent_orchestration.watch.lag</c>. Reconnects are reported by the watch itself.
/// </summary>
internal sealed class InstrumentedEventLog(EventLog.EventLog inner, OrchestrationTelemetry telemetry, OrchestrationClock clock, FaultPolicy policy, OrchestrationContext orchestration)
    : ServiceBoundary<IEventLog>(policy, orchestration), IEventLog
{
    private const string Prefix = nameof(IEventLog) + ".";

    public Task<IReadOnlyList<OrchestrationEvent>> ReadAsync(long afterSequence, int take = 100, Guid? projectId = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(ReadAsync), (inner, afterSequence, take, projectId), static (s, ct) => s.inner.ReadAsync(s.afterSequence, s.take, s.projectId, ct), cancellationToken);

    public IAsyncEnumerable<OrchestrationEvent> WatchAsync(long afterSequence = 0, Guid? projectId = null, CancellationToken cancellationToken = default) =>
        Stream(Prefix + nameof(WatchAsync), Measured(inner.WatchAsync(afterSequence, projectId, cancellationToken), cancellationToken), cancellationToken);

    private async IAsyncEnumerable<OrchestrationEvent> Measured(IAsyncEnumerable<OrchestrationEvent> events, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (telemetry.WatchLag.Enabled)
            {
                telemetry.WatchLag.Record(Math.Max(0, (clock.GetUtcNow() - e.OccurredAt).TotalSeconds));
            }

            yield return e;
        }
    }
}
