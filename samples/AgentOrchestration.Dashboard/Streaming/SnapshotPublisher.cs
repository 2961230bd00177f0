using System.Text.Json;
using AgentOrchestration.Dashboard.Snapshot;

namespace AgentOrchestration.Dashboard.Streaming;

/// <summary>
/// Pushes a fresh <c>snapshot</c> message to the pages of a project after its events: one read per project per batch
/// of changes (coalesced over <see cref="Coalesce"/>), shared by every tab, instead of every tab re-reading on every event.
/// Heartbeats are not events, so live projects are also re-read every <see cref="Refresh"/> to keep heartbeat ages true.
/// </summary>
internal sealed partial class SnapshotPublisher(EventHub hub, IServiceScopeFactory scopes, ILogger<SnapshotPublisher> logger) : BackgroundService
{
    public static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(150);
    public static readonly TimeSpan Refresh = TimeSpan.FromSeconds(5);

    private readonly Lock gate = new();
    private readonly HashSet<Guid> dirty = [];
    private bool allDirty;

    /// <summary>Asks for a snapshot of <paramref name="projectId"/> soon (null: of every watched project).</summary>
    public void Request(Guid? projectId)
    {
        lock (gate)
        {
            if (projectId is { } id)
            {
                dirty.Add(id);
            }
            else
            {
                allDirty = true;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Events without a project (agents registering) change every project's agent list.
        hub.Published += Request;
        try
        {
            using var timer = new PeriodicTimer(Coalesce);
            var lastRefresh = TimeProvider.System.GetTimestamp();
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var watched = hub.WatchedProjects();
                List<Guid> due;
                lock (gate)
                {
                    if (TimeProvider.System.GetElapsedTime(lastRefresh) >= Refresh)
                    {
                        allDirty = true;
                        lastRefresh = TimeProvider.System.GetTimestamp();
                    }

                    due = [.. watched.Where(p => allDirty || dirty.Contains(p))];
                    dirty.Clear();
                    allDirty = false;
                }

                foreach (var project in due)
                {
                    await PublishAsync(project, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            hub.Published -= Request;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the snapshot of project {Project} failed: {Reason}")]
    private static partial void LogReadFailed(ILogger logger, Guid project, string reason);

    private async Task PublishAsync(Guid project, CancellationToken cancellationToken)
    {
        try
        {
            var cursor = hub.Position;
            await using var scope = scopes.CreateAsyncScope();
            var snapshot = await scope.ServiceProvider.GetRequiredService<DashboardReader>().ReadAsync(project, cursor, cancellationToken);
            if (snapshot is not null)
            {
                hub.Send(project, StreamItem.ForSnapshot(JsonSerializer.Serialize(snapshot, DashboardJson.Options)));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A failed read is retried with the next change or refresh; the pages keep their last state.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogReadFailed(logger, project, e.Message);
        }
    }
}
