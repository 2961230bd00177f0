using AgentOrchestration.Dashboard.Streaming;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Migrations;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentOrchestration.Data.Tests.WebDashboard;

/// <summary>The dashboard's one watch per process, in-process: it fans out to every page, and a page that stops reading is dropped without holding the others back.</summary>
public sealed class EventHubTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    [Test]
    public async Task A_page_that_stops_reading_is_dropped_and_the_others_get_every_event_in_order()
    {
        await using var services = OrchestrationServices.Create(Database);
        await using (var scope = services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<IAgentOrchestrationMigrator>().MigrateAsync();
        }

        using var hub = new EventHub(services.GetRequiredService<IServiceScopeFactory>(), NullLogger<EventHub>.Instance);
        await hub.StartAsync(CancellationToken.None);
        try
        {
            await hub.Ready.WaitAsync(Generous);
            using var slow = hub.Subscribe(projectId: null);
            using var fast = hub.Subscribe(projectId: null);
            var received = new List<long>();

            // Batches smaller than a page's buffer, each read by the fast page before the next: only the slow one overflows.
            foreach (var batch in new[] { 500, 500, 100 })
            {
                var appended = await AppendEventsAsync(batch);
                while (received.Count < appended[^1].Index)
                {
                    var item = await fast.Reader.ReadAsync().AsTask().WaitAsync(Generous);
                    received.Add(item.Sequence!.Value);
                }
            }

            await using var db = CreateContext();
            var logged = db.Events.OrderBy(e => e.Sequence).Select(e => e.Sequence).ToList();
            Assert.That(received, Is.EqualTo(logged), "the reading page got every event once, in order");
            Assert.That(fast.WasDropped, Is.False);

            Assert.That(slow.WasDropped, Is.True);
            Assert.That(hub.Dropped, Is.EqualTo(1));
            Assert.That(hub.Subscribers, Is.EqualTo(1));
            var queued = new List<long>();
            while (await slow.Reader.WaitToReadAsync().AsTask().WaitAsync(Generous))
            {
                queued.Add((await slow.Reader.ReadAsync()).Sequence!.Value);
            }

            // Its queue ends (so its response ends and the browser reconnects) after the events it had room for.
            Assert.That(queued, Is.EqualTo(logged.Take(EventHub.ClientBuffer)));
        }
        finally
        {
            await hub.StopAsync(CancellationToken.None);
        }
    }

    [Test]
    public async Task Events_committed_while_a_page_catches_up_are_sent_once_neither_lost_nor_repeated()
    {
        await using var services = OrchestrationServices.Create(Database);
        await using (var scope = services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<IAgentOrchestrationMigrator>().MigrateAsync();
        }

        var scopes = services.GetRequiredService<IServiceScopeFactory>();
        using var hub = new EventHub(scopes, NullLogger<EventHub>.Instance);
        await hub.StartAsync(CancellationToken.None);
        try
        {
            await hub.Ready.WaitAsync(Generous);
            var seen = (await AppendEventsAsync(1))[0].Sequence;
            await WaitForHubAsync(hub, seen);
            using var publisher = new SnapshotPublisher(hub, scopes, NullLogger<SnapshotPublisher>.Instance);
            var stream = new LiveStream(hub, publisher, scopes);
            await using var items = stream.StreamAsync(projectId: null, after: seen, CancellationToken.None).GetAsyncEnumerator();

            // The first message is sent once the page is subscribed; its catch-up read has not run yet. Events that
            // commit now reach the hub (so the page's live queue) and are also in the log the catch-up reads.
            Assert.That(await items.MoveNextAsync(), Is.True);
            Assert.That(items.Current.EventType, Is.EqualTo(StreamItem.KeepAliveType));
            var during = await AppendEventsAsync(3);
            await WaitForHubAsync(hub, during[^1].Sequence);

            async Task<long> NextEventAsync()
            {
                while (true)
                {
                    Assert.That(await items.MoveNextAsync().AsTask().WaitAsync(Generous), Is.True);
                    if (items.Current.EventType == StreamItem.EventType)
                    {
                        return long.Parse(items.Current.EventId!, System.Globalization.CultureInfo.InvariantCulture);
                    }
                }
            }

            var caughtUp = new List<long> { await NextEventAsync(), await NextEventAsync(), await NextEventAsync() };
            Assert.That(caughtUp, Is.EqualTo(during.Select(e => e.Sequence)), "the catch-up, from the log");

            // The live queue holds the same three: skipped. The next event is the next change.
            var after = await AppendEventsAsync(1);
            Assert.That(await NextEventAsync(), Is.EqualTo(after[0].Sequence));
        }
        finally
        {
            await hub.StopAsync(CancellationToken.None);
        }
    }

    private static async Task WaitForHubAsync(EventHub hub, long sequence)
    {
        using var timeout = new CancellationTokenSource(Generous);
        while (hub.Position != sequence)
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    /// <summary>Appends <paramref name="count"/> events in one transaction; returns them with their running number in the log.</summary>
    private async Task<List<(long Sequence, int Index)>> AppendEventsAsync(int count)
    {
        await using var db = CreateContext();
        var before = db.Events.Count();
        var events = Enumerable.Range(0, count).Select(i => new OrchestrationEvent
        {
            OccurredAt = DateTimeOffset.UtcNow, Type = "test.burst", EntityType = "test",
        }).ToList();
        db.Events.AddRange(events);
        await db.SaveChangesAsync();
        return [.. events.Select((e, i) => (e.Sequence, before + i + 1))];
    }
}
