using System.Threading.Channels;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;

namespace AgentOrchestration.Dashboard.Streaming;

/// <summary>
/// The one watch of this process: a hosted service that follows the library's event log (<see cref="IEventLog.WatchAsync"/>)
/// and fans every event out to the connected pages, each through a bounded channel of its own. However many tabs are
/// open, the database sees one watch (and one snapshot per change batch per watched project, see <see cref="SnapshotPublisher"/>).
/// </summary>
/// <remarks>
/// A page that falls <see cref="ClientBuffer"/> items behind is dropped (its stream ends) rather than slowing the watch
/// or the other pages; its browser reconnects with <c>Last-Event-ID</c> and catches up from the event log.
/// </remarks>
internal sealed partial class EventHub(IServiceScopeFactory scopes, ILogger<EventHub> logger) : BackgroundService
{
    /// <summary>How many undelivered items a page may have queued before it is dropped.</summary>
    public const int ClientBuffer = 1024;

    private const int CatchUpPage = 1000;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly Lock gate = new();
    private readonly List<Subscription> subscriptions = [];
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long position;

    /// <summary>Raised (on the watch's thread) after an event was fanned out, with the project it belongs to (null: none).</summary>
    public event Action<Guid?>? Published;

    /// <summary>Gets a task that completes once the hub has read the existing log and is following new events.</summary>
    public Task Ready => ready.Task;

    /// <summary>Gets the sequence of the last event fanned out (0 before any): the position a new page resumes after.</summary>
    public long Position
    {
        get
        {
            lock (gate)
            {
                return position;
            }
        }
    }

    /// <summary>Gets why the watch is not running, if it is not (the database is missing its tables, unreachable ...).</summary>
    public string? Problem { get; private set; }

    /// <summary>Gets how many pages are connected.</summary>
    public int Subscribers
    {
        get
        {
            lock (gate)
            {
                return subscriptions.Count;
            }
        }
    }

    /// <summary>Gets how many pages were dropped for falling behind, since the start.</summary>
    public int Dropped { get; private set; }

    /// <summary>
    /// Starts delivering every event fanned out from now on (of <paramref name="projectId"/>, or every event) to a new
    /// channel. Subscribe before reading the log for a catch-up, so nothing falls between the two.
    /// </summary>
    public Subscription Subscribe(Guid? projectId)
    {
        var channel = Channel.CreateBounded<StreamItem>(new BoundedChannelOptions(ClientBuffer)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var subscription = new Subscription(this, channel, projectId);
        lock (gate)
        {
            subscriptions.Add(subscription);
            subscription.StartedAfter = position;
        }

        return subscription;
    }

    /// <summary>Sends <paramref name="item"/> to the pages watching <paramref name="projectId"/> (null: every page).</summary>
    public void Send(Guid? projectId, StreamItem item)
    {
        lock (gate)
        {
            foreach (var s in subscriptions.ToList())
            {
                if (projectId is null || s.ProjectId is null || s.ProjectId == projectId)
                {
                    Offer(s, item);
                }
            }
        }
    }

    /// <summary>Gets the projects that connected pages watch now.</summary>
    public IReadOnlyList<Guid> WatchedProjects()
    {
        lock (gate)
        {
            return [.. subscriptions.Where(s => s.ProjectId is not null).Select(s => s.ProjectId!.Value).Distinct()];
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Catch up with the existing log first (pages only connect once this is done), then follow it.
                await using var scope = scopes.CreateAsyncScope();
                var log = scope.ServiceProvider.GetRequiredService<IEventLog>();
                if (!ready.Task.IsCompleted)
                {
                    IReadOnlyList<OrchestrationEvent> page;
                    do
                    {
                        page = await log.ReadAsync(Position, CatchUpPage, cancellationToken: stoppingToken);
                        foreach (var e in page)
                        {
                            Publish(e);
                        }
                    }
                    while (page.Count == CatchUpPage);

                    Problem = null;
                    ready.TrySetResult();
                    LogFollowing(logger, Position);
                }

                await foreach (var e in log.WatchAsync(Position, cancellationToken: stoppingToken))
                {
                    Problem = null;
                    Publish(e);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The watch must outlive any failure: a database that is not migrated yet, a restart of the server.
            catch (Exception e)
#pragma warning restore CA1031
            {
                if (Problem != e.Message)
                {
                    LogWatchStopped(logger, e.Message, RetryDelay);
                }

                Problem = e.Message;
                await Task.Delay(RetryDelay, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Following the event log after event {Position}.")]
    private static partial void LogFollowing(ILogger logger, long position);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The event watch stopped ({Reason}); retrying in {Delay}.")]
    private static partial void LogWatchStopped(ILogger logger, string reason, TimeSpan delay);

    private void Publish(OrchestrationEvent e)
    {
        var item = StreamItem.ForEvent(e);
        lock (gate)
        {
            position = e.Sequence;
            foreach (var s in subscriptions.ToList())
            {
                if (s.ProjectId is null || s.ProjectId == e.ProjectId)
                {
                    Offer(s, item);
                }
                else if (e.Type == OrchestrationEventTypes.ProjectCreated)
                {
                    // A page following the latest project learns that there is a newer one.
                    Offer(s, StreamItem.ForProject(e.ProjectId));
                }
            }
        }

        Published?.Invoke(e.ProjectId);
    }

    private void Offer(Subscription s, StreamItem item)
    {
        if (!s.Channel.Writer.TryWrite(item))
        {
            // Full: this page is too slow. End its stream; the browser reconnects and catches up from the log.
            subscriptions.Remove(s);
            s.Channel.Writer.TryComplete();
            s.WasDropped = true;
            Dropped++;
        }
    }

    private void Remove(Subscription s)
    {
        lock (gate)
        {
            subscriptions.Remove(s);
        }

        s.Channel.Writer.TryComplete();
    }

    /// <summary>One connected page's queue; dispose it when the page goes away.</summary>
    public sealed class Subscription : IDisposable
    {
        private readonly EventHub hub;

        internal Subscription(EventHub hub, Channel<StreamItem> channel, Guid? projectId)
        {
            this.hub = hub;
            Channel = channel;
            ProjectId = projectId;
        }

        /// <summary>Gets the project the page watches; null: every event.</summary>
        public Guid? ProjectId { get; }

        /// <summary>Gets the hub's position when the page subscribed: its queue starts with the events after it.</summary>
        public long StartedAfter { get; internal set; }

        /// <summary>Gets whether the hub dropped the page for falling behind.</summary>
        public bool WasDropped { get; internal set; }

        /// <summary>Gets the items queued for the page.</summary>
        public ChannelReader<StreamItem> Reader => Channel.Reader;

        internal Channel<StreamItem> Channel { get; }

        public void Dispose() => hub.Remove(this);
    }
}
