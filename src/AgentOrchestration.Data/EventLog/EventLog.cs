using System.Data.Common;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Diagnostics;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.EventLog;

/// <summary>The default <see cref="IEventLog"/>: reads through the provider's feed query; a watch reads in short scopes of its own.</summary>
internal sealed class EventLog(OrchestrationContext orchestration, IServiceScopeFactory scopes, EventLogOptions options, OrchestrationTelemetry telemetry) : IEventLog
{
    private const int MaxPage = 1000;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    public async Task<IReadOnlyList<OrchestrationEvent>> ReadAsync(long afterSequence, int take = 100, Guid? projectId = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        if (take is < 1 or > MaxPage)
        {
            throw new ArgumentOutOfRangeException(nameof(take), take, $"A page holds 1 to {MaxPage} events.");
        }

        var db = orchestration.Context;
        var provider = OrchestrationProviders.For(db);
        var cursor = await ResolveAsync(provider, orchestration, afterSequence, cancellationToken).ConfigureAwait(false);
        var batch = await provider.ReadEventsAsync(db, cursor, take, projectId, cancellationToken).ConfigureAwait(false);
        return batch.Events;
    }

    public IAsyncEnumerable<OrchestrationEvent> WatchAsync(long afterSequence = 0, Guid? projectId = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        if (options.Problems().FirstOrDefault() is { } problem)
        {
            throw new InvalidOperationException(problem);
        }

        return WatchCoreAsync(afterSequence, projectId, cancellationToken);
    }

    private async IAsyncEnumerable<OrchestrationEvent> WatchCoreAsync(long afterSequence, Guid? projectId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var provider = OrchestrationProviders.For(orchestration.Context);
        // Listen before the first read: an event committed between that read and the first wait still wakes the watch.
        await using var wakeup = await provider.ListenForEventsAsync(orchestration.Context, cancellationToken).ConfigureAwait(false);
        var cursor = await ReadInScopeAsync((p, o, ct) => ResolveAsync(p, o, afterSequence, ct), cancellationToken).ConfigureAwait(false);
        var heldBackDelay = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            var at = cursor;
            var batch = await ReadInScopeAsync((p, o, ct) => p.ReadEventsAsync(o.Context, at, options.BatchSize, projectId, ct), cancellationToken).ConfigureAwait(false);
            foreach (var e in batch.Events)
            {
                yield return e;
            }

            cursor = batch.Next;
            if (batch.Events.Count == options.BatchSize)
            {
                continue;
            }

            if (batch.HeldBack)
            {
                // Committed events wait behind a writer that may never notify (a rollback notifies nobody): poll
                // soon, backing off while it lasts.
                await wakeup.WaitAsync(heldBackDelay, cancellationToken).ConfigureAwait(false);
                heldBackDelay = TimeSpan.FromTicks(Math.Min(heldBackDelay.Ticks * 2, options.PollInterval.Ticks));
                continue;
            }

            heldBackDelay = TimeSpan.FromMilliseconds(5);
            await wakeup.WaitAsync(options.PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs one read in a scope of its own, so a long watch never holds a context; transient failures are retried with backoff.</summary>
    private async Task<T> ReadInScopeAsync<T>(Func<IOrchestrationProvider, OrchestrationContext, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        var failures = 0;

        // From the first failure to the read that succeeds again: one reconnect span, the reads under it.
        Activity? reconnect = null;
        try
        {
            while (true)
            {
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    var context = scope.ServiceProvider.GetRequiredService<OrchestrationContext>();
                    var result = await read(OrchestrationProviders.For(context.Context), context, cancellationToken).ConfigureAwait(false);
                    if (failures > 0)
                    {
                        reconnect?.SetTag(TagNames.Outcome, Outcomes.Ok).SetTag(TagNames.Attempt, failures + 1);
                        OrchestrationLog.WatchReconnected(telemetry.Events, failures);
                    }

                    return result;
                }
                // EF reports a transient failure (a dropped pooled connection, a failover) wrapped in an InvalidOperationException.
                catch (Exception e) when ((e as DbException ?? e.InnerException as DbException) is { IsTransient: true } && !cancellationToken.IsCancellationRequested)
                {
                    failures++;
                    reconnect ??= OrchestrationTelemetry.StartSpan(SpanNames.WatchReconnect);
                    telemetry.WatchReconnects.Add(1);
                    OrchestrationLog.WatchReadFailed(telemetry.Events, e, failures, backoff);
                    await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                }
            }
        }
        finally
        {
            reconnect?.Dispose();
        }
    }

    private static async Task<EventCursor> ResolveAsync(IOrchestrationProvider provider, OrchestrationContext context, long afterSequence, CancellationToken cancellationToken) =>
        afterSequence == 0
            ? EventCursor.Start
            : await provider.FindEventCursorAsync(context.Context, afterSequence, cancellationToken).ConfigureAwait(false)
                ?? throw new EntityNotFoundException("event", afterSequence);
}
