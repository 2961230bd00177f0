using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;

namespace AgentOrchestration.Dashboard.Streaming;

/// <summary>
/// One page's server-sent event stream: the events it missed, read from the event log, then the hub's live events,
/// with no gap and no duplicate between the two; <c>keepalive</c> messages while nothing happens.
/// </summary>
internal sealed class LiveStream(EventHub hub, SnapshotPublisher snapshots, IServiceScopeFactory scopes)
{
    /// <summary>How long a stream may stay silent before a <c>keepalive</c> message is sent (the page treats 3× this as a dead connection).</summary>
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(5);

    /// <summary>How long a browser waits before reconnecting a dropped stream.</summary>
    public static readonly TimeSpan Reconnect = TimeSpan.FromSeconds(1);

    private const int CatchUpPage = 500;

    /// <summary>
    /// Streams the events of <paramref name="projectId"/> (null: all) after the event <paramref name="after"/>
    /// (the <c>Last-Event-ID</c> a browser sends on reconnecting, or the snapshot's cursor).
    /// </summary>
    /// <remarks>
    /// The hub subscription starts before the catch-up read. Both follow the log's one order, so the live queue starts
    /// with events the page already has (skipped by sequence: those the catch-up sent, and those between the hub's
    /// position and <paramref name="after"/> when the hub was behind) and continues with the ones after them.
    /// </remarks>
    public async IAsyncEnumerable<SseItem<string>> StreamAsync(Guid? projectId, long after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var subscription = hub.Subscribe(projectId);
        yield return StreamItem.KeepAlive(TimeProvider.System.GetUtcNow()).ToSse(Reconnect);

        var caughtUp = new HashSet<long>();
        IReadOnlyList<OrchestrationEvent> page;
        if (subscription.StartedAfter != after)
        {
            // The hub may not yet have fanned out everything this page already has (it caught up by its own read, or
            // resumes from another process): its queue then starts with events up to `after`. Those are among the
            // events after the hub's position read now, before the catch-up: remember them, send nothing. (Positions
            // cannot be compared by sequence: on PostgreSQL the log is not in sequence order.)
            var seen = subscription.StartedAfter;
            do
            {
                await using (var scope = scopes.CreateAsyncScope())
                {
                    page = await scope.ServiceProvider.GetRequiredService<IEventLog>().ReadAsync(seen, CatchUpPage, projectId, cancellationToken);
                }

                foreach (var e in page)
                {
                    caughtUp.Add(e.Sequence);
                    seen = e.Sequence;
                }
            }
            while (page.Count == CatchUpPage);
        }

        var cursor = after;
        do
        {
            await using (var scope = scopes.CreateAsyncScope())
            {
                page = await scope.ServiceProvider.GetRequiredService<IEventLog>().ReadAsync(cursor, CatchUpPage, projectId, cancellationToken);
            }

            foreach (var e in page)
            {
                caughtUp.Add(e.Sequence);
                cursor = e.Sequence;
                yield return StreamItem.ForEvent(e).ToSse();
            }
        }
        while (page.Count == CatchUpPage);

        // The page's state may be older than what it just caught up on: have the publisher send a fresh snapshot.
        if (projectId is not null)
        {
            snapshots.Request(projectId);
        }

        var reader = subscription.Reader;
        while (!cancellationToken.IsCancellationRequested)
        {
            var more = await WaitAsync(reader, cancellationToken);
            if (more is null)
            {
                yield return StreamItem.KeepAlive(TimeProvider.System.GetUtcNow()).ToSse();
                continue;
            }

            if (more == false)
            {
                // Dropped for falling behind (or shutting down): end the response; the browser reconnects and catches up.
                yield break;
            }

            while (reader.TryRead(out var item))
            {
                if (item.Sequence is { } sequence && caughtUp.Count > 0)
                {
                    if (caughtUp.Contains(sequence))
                    {
                        continue;
                    }

                    // The first live event past the catch-up: none after it can be a duplicate.
                    caughtUp.Clear();
                }

                yield return item.ToSse();
            }
        }
    }

    /// <summary>True: items are queued; false: the queue was closed; null: nothing for <see cref="KeepAlive"/>.</summary>
    private static async Task<bool?> WaitAsync(System.Threading.Channels.ChannelReader<StreamItem> reader, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(KeepAlive);
        try
        {
            return await reader.WaitToReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Reads the resume position from <c>Last-Event-ID</c> (sent by a reconnecting browser), else from <c>after</c>, else the hub's.</summary>
    public static long? ResumeAfter(string? lastEventId, long? after, long hubPosition)
    {
        if (!string.IsNullOrWhiteSpace(lastEventId))
        {
            return long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
        }

        return after ?? hubPosition;
    }
}
