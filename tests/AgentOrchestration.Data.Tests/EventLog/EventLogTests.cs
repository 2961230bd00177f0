using System.Collections.Concurrent;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.PostgreSql.EventLog;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AgentOrchestration.Data.Tests.EventLog;

/// <summary>Reading the event log forward and watching it: every event once, in the log's order, even when writers commit out of order.</summary>
public sealed class EventLogTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private ServiceProvider services = null!;
    private Project project = null!;

    protected override bool StartsMigrated => true;

    [SetUp]
    public async Task SeedAsync()
    {
        await using (await MigratedContextAsync())
        {
        }

        // On PostgreSQL a watch must be woken by NOTIFY: its polling would take an hour.
        services = OrchestrationServices.Create(Database, before: s => s.AddSingleton(new EventLogOptions
        {
            PollInterval = Provider == DatabaseProvider.PostgreSql ? TimeSpan.FromHours(1) : TimeSpan.FromMilliseconds(20),
            BatchSize = 50,
        }));
        await using var scope = services.CreateAsyncScope();
        project = await scope.ServiceProvider.GetRequiredService<IWorkItemService>().CreateProjectAsync("feed", "Feed");
    }

    [TearDown]
    public async Task DisposeServicesAsync() => await services.DisposeAsync();

    [Test]
    public async Task Pages_forward_from_a_sequence_through_every_event_once()
    {
        var other = await WithAsync<IWorkItemService, Project>(w => w.CreateProjectAsync("other", "Other"));
        for (var i = 0; i < 7; i++)
        {
            await CreateItemAsync(i % 2 == 0 ? project : other, $"item {i}");
        }

        var all = await ReadAllAsync(null, take: 3);
        await using var db = CreateContext();
        Assert.Multiple(async () =>
        {
            Assert.That(all.Select(e => e.Sequence), Is.Unique);
            Assert.That(all.Select(e => e.Sequence), Is.EquivalentTo(await db.Set<OrchestrationEvent>().Select(e => e.Sequence).ToListAsync()));
            Assert.That(all.Count(e => e.Type == OrchestrationEventTypes.WorkItemCreated), Is.EqualTo(7));
            Assert.That(all.Where(e => e.Type == OrchestrationEventTypes.WorkItemCreated).Select(e => e.Payload!.To), Is.All.EqualTo("todo"));
        });

        var mine = await ReadAllAsync(project.Id, take: 2);
        Assert.That(mine.Select(e => e.Sequence), Is.EqualTo(all.Where(e => e.ProjectId == project.Id).Select(e => e.Sequence)));

        // A reader resumes after the last event it processed and gets exactly the rest.
        var resumed = await WithAsync<IEventLog, IReadOnlyList<OrchestrationEvent>>(log => log.ReadAsync(all[3].Sequence, 1000));
        Assert.That(resumed.Select(e => e.Sequence), Is.EqualTo(all.Skip(4).Select(e => e.Sequence)));
    }

    [Test]
    public async Task Refuses_a_bad_position_or_page_size_with_the_allowed_values()
    {
        await using var scope = services.CreateAsyncScope();
        var log = scope.ServiceProvider.GetRequiredService<IEventLog>();
        Assert.Multiple(() =>
        {
            Assert.That(() => log.ReadAsync(-1), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("afterSequence"));
            Assert.That(() => log.ReadAsync(0, 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("1 to 1000"));
            Assert.That(() => log.ReadAsync(0, 1001), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("1 to 1000"));
            Assert.That(() => log.ReadAsync(987654), Throws.InstanceOf<EntityNotFoundException>().With.Message.Contains("987654"));
            Assert.That(() => log.WatchAsync(-5), Throws.InstanceOf<ArgumentOutOfRangeException>());
        });
    }

    [Test]
    public async Task A_watch_streams_existing_then_new_events_and_resumes_after_the_last_one_processed()
    {
        await CreateItemAsync(project, "before");
        using var cts = new CancellationTokenSource(Patience);
        await using var scope = services.CreateAsyncScope();
        var log = scope.ServiceProvider.GetRequiredService<IEventLog>();

        var seen = new List<OrchestrationEvent>();
        await using (var watch = log.WatchAsync(0, project.Id, cts.Token).GetAsyncEnumerator(cts.Token))
        {
            // project.created and the first item exist already.
            seen.Add(await NextAsync(watch));
            seen.Add(await NextAsync(watch));
            var pending = NextAsync(watch);
            await CreateItemAsync(project, "while watching");
            seen.Add(await pending);
        }

        Assert.That(seen.Select(e => e.Type), Is.EqualTo(new[] { OrchestrationEventTypes.ProjectCreated, OrchestrationEventTypes.WorkItemCreated, OrchestrationEventTypes.WorkItemCreated }));

        // The watcher went away; two more changes happen; a new watch from the last processed event sees only those.
        await CreateItemAsync(project, "while away 1");
        await CreateItemAsync(project, "while away 2");
        await using var again = log.WatchAsync(seen[^1].Sequence, project.Id, cts.Token).GetAsyncEnumerator(cts.Token);
        var rest = new[] { await NextAsync(again), await NextAsync(again) };
        await using var db = CreateContext();
        var expected = await db.Set<WorkItem>().Where(w => w.Title.StartsWith("while away")).OrderBy(w => w.Title).Select(w => w.Id).ToListAsync();
        Assert.That(rest.Select(e => e.EntityId), Is.EqualTo(expected.Cast<Guid?>()));
    }

    [Test]
    public async Task The_watch_sees_every_event_of_5000_concurrent_changes_exactly_once_and_in_order()
    {
        const int Writers = 16;
        const int PerWriter = 5000 / Writers + 1;
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await using var scope = services.CreateAsyncScope();
        var log = scope.ServiceProvider.GetRequiredService<IEventLog>();
        var start = (await log.ReadAsync(0, 1000))[^1].Sequence;

        var seen = new List<OrchestrationEvent>();
        var expectedCount = Writers * PerWriter;
        var watcher = Task.Run(async () =>
        {
            await foreach (var e in log.WatchAsync(start, null, cts.Token))
            {
                seen.Add(e);
                if (seen.Count == expectedCount)
                {
                    // Linger a little: a duplicate or a stray event would arrive now.
                    using var linger = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
                    linger.CancelAfter(TimeSpan.FromMilliseconds(500));
                    try
                    {
                        await foreach (var extra in log.WatchAsync(e.Sequence, null, linger.Token))
                        {
                            seen.Add(extra);
                        }
                    }
                    catch (OperationCanceledException) when (!cts.IsCancellationRequested)
                    {
                    }

                    return;
                }
            }
        });

        var made = new ConcurrentDictionary<int, List<Guid>>();
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var mine = made.GetOrAdd(w, _ => []);
            for (var i = 0; i < PerWriter; i++)
            {
                mine.Add((await CreateItemAsync(project, $"w{w:D2}-{i:D4}")).Id);
            }
        })));
        await watcher.WaitAsync(cts.Token);

        var position = seen.Select((e, i) => (e.EntityId, i)).ToDictionary(x => x.EntityId!.Value, x => x.i);
        await using var db = CreateContext();
        var inLog = await db.Set<OrchestrationEvent>().Where(e => e.Sequence > start).Select(e => e.Sequence).ToListAsync();
        var feedOrder = await ReadAllAsync(null, take: 1000, after: start);
        Assert.Multiple(() =>
        {
            Assert.That(seen, Has.Count.EqualTo(expectedCount));
            Assert.That(seen.Select(e => e.Sequence), Is.Unique);
            Assert.That(seen.Select(e => e.Sequence), Is.EquivalentTo(inLog));
            // The watch's order is the log's order, the one a reader paging from the start gets.
            Assert.That(seen.Select(e => e.Sequence), Is.EqualTo(feedOrder.Select(e => e.Sequence)));
            // Each writer's changes follow one another, so they arrive in the order they were made.
            foreach (var (writer, ids) in made)
            {
                Assert.That(ids.Select(id => position[id]), Is.Ordered, $"writer {writer}");
            }
        });
    }

    [Test]
    public async Task An_event_committed_late_is_not_stepped_over()
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            Assert.Ignore("SQLite has one writer at a time: sequences are taken and committed in the same order, so events cannot commit late.");
        }

        await using var scope = services.CreateAsyncScope();
        var log = scope.ServiceProvider.GetRequiredService<IEventLog>();
        var start = (await log.ReadAsync(0, 1000))[^1].Sequence;

        // A starts writing first and holds its transaction open; B inserts an event and commits; A's event comes last.
        await using var a = await OpenAsync();
        await using var aTransaction = await a.BeginTransactionAsync();
        await ExecuteAsync(a, $"UPDATE projects SET name = 'renamed' WHERE id = '{project.Id}'");
        var bSequence = await InsertEventAsync(await OpenAsync(), "b", commit: true);
        var aSequence = await InsertEventAsync(a, "a", commit: false);
        Assert.That(aSequence, Is.GreaterThan(bSequence), "A took its sequence after B");

        using var cts = new CancellationTokenSource(Patience);
        await using var watch = log.WatchAsync(start, null, cts.Token).GetAsyncEnumerator(cts.Token);
        var first = NextAsync(watch);

        // B has committed, but a reader must not pass it while A, an older transaction, may still add events before it.
        Assert.That(await log.ReadAsync(start, 1000), Is.Empty);
        await Task.Delay(200);
        Assert.That(first.IsCompleted, Is.False, "the watch waits for A");

        await aTransaction.CommitAsync();
        var order = new[] { (await first).Type, (await NextAsync(watch)).Type };
        Assert.That(order, Is.EqualTo(new[] { "test.a", "test.b" }), "A's transaction began writing first");
        Assert.That((await log.ReadAsync(start, 1000)).Select(e => e.Type), Is.EqualTo(order));

        // Resuming after A's event (the larger sequence) still delivers B's.
        Assert.That((await log.ReadAsync(aSequence, 1000)).Select(e => e.Sequence), Is.EqualTo(new[] { bSequence }));
    }

    [Test]
    public async Task Open_transactions_that_write_no_event_do_not_hold_the_feed_back()
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            Assert.Ignore("SQLite has one writer at a time: an open write transaction blocks every other writer, not just the feed.");
        }

        await using var scope = services.CreateAsyncScope();
        var log = scope.ServiceProvider.GetRequiredService<IEventLog>();
        var start = (await log.ReadAsync(0, 1000))[^1].Sequence;

        // Two transactions left open, each holding a transaction id: an idle psql session in another database of the
        // server, and a host's transaction in this database that wrote to a table of its own.
        await using var elsewhere = new NpgsqlConnection(TestDatabase.AdminConnectionString());
        await elsewhere.OpenAsync();
        await using var elsewhereTransaction = await elsewhere.BeginTransactionAsync();
        await ExecuteAsync(elsewhere, "SELECT pg_current_xact_id()");
        await using var host = await OpenAsync();
        await ExecuteAsync(host, "CREATE TABLE host_notes (id int PRIMARY KEY)");
        await using var hostTransaction = await host.BeginTransactionAsync();
        await ExecuteAsync(host, "INSERT INTO host_notes VALUES (1)");
        foreach (var open in new[] { elsewhere, host })
        {
            Assert.That(await ExecuteAsync(open, "SELECT pg_current_xact_id_if_assigned() IS NOT NULL"), Is.True, "the open transaction holds an id");
        }

        using var cts = new CancellationTokenSource(Patience);
        await using var watch = log.WatchAsync(start, project.Id, cts.Token).GetAsyncEnumerator(cts.Token);
        var next = NextAsync(watch);
        var item = await CreateItemAsync(project, "while others stay open");

        Assert.That((await log.ReadAsync(start, 1000)).Select(e => e.EntityId), Is.EqualTo(new Guid?[] { item.Id }), "a read sees the new event at once");
        Assert.That((await next).EntityId, Is.EqualTo(item.Id), "the watch delivers it while both transactions are still open");
        Assert.That(await ExecuteAsync(host, "SELECT count(*) FROM host_notes"), Is.EqualTo(1L), "the host's transaction was open throughout");
    }

    [Test]
    public async Task A_writer_whose_transaction_id_a_reader_already_passed_is_not_stepped_over()
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            Assert.Ignore("SQLite has one writer at a time: sequences are taken and committed in the same order, so events cannot commit late.");
        }

        await using var scope = services.CreateAsyncScope();
        var log = scope.ServiceProvider.GetRequiredService<IEventLog>();
        var start = (await log.ReadAsync(0, 1000))[^1].Sequence;

        // A takes its transaction id with an earlier write and looks like any other open transaction; B, a younger
        // transaction, writes an event and commits; a reader delivers B and moves past A's id.
        await using var a = await OpenAsync();
        await using var aTransaction = await a.BeginTransactionAsync();
        await ExecuteAsync(a, $"UPDATE projects SET name = 'renamed' WHERE id = '{project.Id}'");
        var aId = (ulong)(await ExecuteAsync(a, "SELECT pg_current_xact_id()::text::bigint") as long? ?? 0);
        var bSequence = await InsertEventAsync(await OpenAsync(), "b", commit: true);

        using var cts = new CancellationTokenSource(Patience);
        await using var watch = log.WatchAsync(start, null, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.That((await NextAsync(watch)).Sequence, Is.EqualTo(bSequence), "A, which has written no event, does not hold B back");
        Assert.That((await log.ReadAsync(start, 1000)).Select(e => e.Sequence), Is.EqualTo(new[] { bSequence }));

        // Now A writes its first event, with the id the reader has already passed, and commits late.
        var aSequence = await InsertEventAsync(a, "a", commit: false);
        var pending = NextAsync(watch);
        Assert.That(await log.ReadAsync(bSequence, 1000), Is.Empty, "A's event is not visible before A commits");
        await aTransaction.CommitAsync();

        Assert.That((await log.ReadAsync(bSequence, 1000)).Select(e => e.Sequence), Is.EqualTo(new[] { aSequence }), "a reader resuming after B gets A");
        Assert.That((await pending).Sequence, Is.EqualTo(aSequence), "the watch delivers A's event after B's");
        Assert.That((await log.ReadAsync(start, 1000)).Select(e => e.Sequence), Is.EqualTo(new[] { bSequence, aSequence }), "the log's order is the order delivered");
        await using var db = CreateContext();
        var bId = await db.Set<OrchestrationEvent>().Where(e => e.Sequence == bSequence).Select(e => EF.Property<ulong>(e, "TransactionId")).SingleAsync();
        Assert.That(bId, Is.GreaterThan(aId), "B's transaction is younger than A's: A's event was ordered by when it was written, not by its id");
    }

    [Test]
    public async Task A_library_write_joining_a_host_transaction_that_wrote_first_is_not_stepped_over()
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            Assert.Ignore("SQLite has one writer at a time: a host transaction that wrote first blocks every other writer.");
        }

        await using var scope = services.CreateAsyncScope();
        var log = scope.ServiceProvider.GetRequiredService<IEventLog>();
        var start = (await log.ReadAsync(0, 1000))[^1].Sequence;

        // An embedded host opens its transaction and writes its own row first; the library joins it later.
        await using var hostScope = services.CreateAsyncScope();
        var hostContext = hostScope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        await using var hostTransaction = await hostContext.Database.BeginTransactionAsync();
        await hostContext.Database.ExecuteSqlRawAsync($"UPDATE projects SET name = 'host' WHERE id = '{project.Id}'");

        var other = await CreateItemAsync(project, "committed meanwhile");
        using var cts = new CancellationTokenSource(Patience);
        await using var watch = log.WatchAsync(start, project.Id, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.That((await NextAsync(watch)).EntityId, Is.EqualTo(other.Id));
        var hostLog = hostScope.ServiceProvider.GetRequiredService<IEventLog>();
        Assert.That((await hostLog.ReadAsync(start, 1000, project.Id)).Select(e => e.EntityId), Is.EqualTo(new Guid?[] { other.Id }),
            "a read inside the host's transaction sees what others committed");

        var joined = await hostScope.ServiceProvider.GetRequiredService<IWorkItemService>()
            .CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Task, Title = "in the host's transaction" });
        var pending = NextAsync(watch);
        Assert.That(await hostLog.ReadAsync(start, 1000, project.Id), Is.Empty, "once it writes an event, the host's transaction holds the feed back, for itself too");
        await Task.Delay(200);
        Assert.That(pending.IsCompleted, Is.False, "nothing is delivered before the host commits");
        await hostTransaction.CommitAsync();

        Assert.That((await log.ReadAsync(start, 1000, project.Id)).Select(e => e.EntityId), Is.EqualTo(new Guid?[] { other.Id, joined.Id }));
        Assert.That((await pending).EntityId, Is.EqualTo(joined.Id));
    }

    [Test]
    public async Task Writers_that_take_their_ids_early_and_commit_late_race_a_watch_and_each_event_arrives_once_in_order()
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            Assert.Ignore("SQLite has one writer at a time: sequences are taken and committed in the same order, so events cannot commit late.");
        }

        const int Writers = 8;
        const int PerWriter = 40;
        await using var scope = services.CreateAsyncScope();
        var log = scope.ServiceProvider.GetRequiredService<IEventLog>();
        var start = (await log.ReadAsync(0, 1000))[^1].Sequence;
        await using (var setup = await OpenAsync())
        {
            await ExecuteAsync(setup, $"CREATE TABLE host_rows (id int PRIMARY KEY, n int NOT NULL); INSERT INTO host_rows SELECT g, 0 FROM generate_series(0, {Writers - 1}) AS g");
        }

        // Each transaction takes its id with a write of its own first, then writes two events with pauses in between,
        // and every fifth one rolls back: readers keep passing ids of transactions whose events are still to come.
        const int Expected = Writers * PerWriter * 4 / 5 * 2;
        using var cts = new CancellationTokenSource();
        var seen = new List<OrchestrationEvent>();
        var watcher = Task.Run(async () =>
        {
            await foreach (var e in log.WatchAsync(start, null, cts.Token))
            {
                seen.Add(e);
                if (seen.Count == Expected)
                {
                    return;
                }
            }
        });
        // A pager reads as fast as it can besides, so reads land in every gap between a writer's first write and its first event.
        var paged = new List<OrchestrationEvent>();
        var pager = Task.Run(async () =>
        {
            var after = start;
            while (paged.Count < Expected)
            {
                await using var pagerScope = services.CreateAsyncScope();
                var page = await pagerScope.ServiceProvider.GetRequiredService<IEventLog>().ReadAsync(after, 1000, null, cts.Token);
                paged.AddRange(page);
                after = page.Count > 0 ? page[^1].Sequence : after;
            }
        });
        var committed = new ConcurrentDictionary<int, List<long>>();
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            var mine = committed.GetOrAdd(w, _ => []);
            await using var connection = await OpenAsync();
            for (var i = 0; i < PerWriter; i++)
            {
                await using var transaction = await connection.BeginTransactionAsync();
                await ExecuteAsync(connection, $"UPDATE host_rows SET n = n + 1 WHERE id = {w}");
                await Task.Delay(random.Next(6));
                var first = await InsertEventAsync(connection, "late", commit: false);
                await Task.Delay(random.Next(3));
                var second = await InsertEventAsync(connection, "late", commit: false);
                if (i % 5 == 4)
                {
                    await transaction.RollbackAsync();
                    continue;
                }

                await transaction.CommitAsync();
                mine.AddRange([first, second]);
            }
        })));
        // An event stepped over never arrives: give the readers time to catch up, then compare what they have.
        await Task.WhenAny(Task.WhenAll(watcher, pager), Task.Delay(Patience));
        await cts.CancelAsync();
        await Task.WhenAll(watcher, pager).ContinueWith(_ => { }, TaskScheduler.Default);

        var feed = await ReadAllAsync(null, take: 1000, after: start);
        Assert.That(feed.Select(e => e.Sequence), Is.EquivalentTo(committed.Values.SelectMany(v => v)), "the log holds every committed event");
        var position = seen.Select((e, i) => (e.Sequence, i)).ToDictionary(x => x.Sequence, x => x.i);
        Assert.Multiple(() =>
        {
            Assert.That(seen.Select(e => e.Sequence), Is.EquivalentTo(committed.Values.SelectMany(v => v)), "every committed event, once, and nothing rolled back");
            Assert.That(feed.Select(e => e.Sequence), Is.EqualTo(seen.Select(e => e.Sequence)), "the watch's order is the log's order");
            Assert.That(paged.Select(e => e.Sequence), Is.EqualTo(seen.Select(e => e.Sequence)), "the pager got the same, in the same order");
            foreach (var (writer, sequences) in committed)
            {
                Assert.That(sequences.Select(q => position[q]), Is.Ordered, $"writer {writer}");
            }
        });
    }

    [Test]
    public async Task A_read_still_answers_when_the_publisher_lock_is_held_behind_ef_cores_back()
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            Assert.Ignore("SQLite reads take no lock: there is no publisher lock to hold.");
        }

        await using var scope = services.CreateAsyncScope();
        var log = scope.ServiceProvider.GetRequiredService<IEventLog>();
        var start = (await log.ReadAsync(0, 1000))[^1].Sequence;

        // A transaction opened with a raw BEGIN, as a read through such a connection would leave it, holds the lock.
        await using var blocker = await OpenAsync();
        await using var blockerTransaction = await blocker.BeginTransactionAsync();
        await using var context = CreateContext();
        var key = EventFeedSchema.LockKey(EventFeedSchema.Channel(context.Model));
        await ExecuteAsync(blocker, $"SELECT pg_advisory_xact_lock({EventFeedSchema.PublisherLockClass}, {key})");

        var item = await CreateItemAsync(project, "while the lock is held");
        Assert.That((await log.ReadAsync(start, 1000)).Select(e => e.EntityId), Is.EqualTo(new Guid?[] { item.Id }), "the read gave up waiting and used the published floor");
    }

    [Test]
    public async Task A_watch_survives_losing_its_listening_connection()
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            Assert.Ignore("SQLite watches poll: there is no listening connection to lose.");
        }

        await using var scope = services.CreateAsyncScope();
        var log = scope.ServiceProvider.GetRequiredService<IEventLog>();
        var start = (await log.ReadAsync(0, 1000))[^1].Sequence;
        using var cts = new CancellationTokenSource(Patience);
        await using var watch = log.WatchAsync(start, null, cts.Token).GetAsyncEnumerator(cts.Token);
        var first = NextAsync(watch);
        await CreateItemAsync(project, "one");
        var one = await first;

        await using (var admin = await OpenAsync())
        {
            var killed = await ExecuteAsync(admin,
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()");
            Assert.That(killed, Is.EqualTo(1L), "the watch's listening connection was terminated");
        }

        var second = NextAsync(watch);
        await CreateItemAsync(project, "two");
        Assert.That((await second).Sequence, Is.GreaterThan(one.Sequence));
        // The listener came back: a third change wakes the watch without polling.
        var third = NextAsync(watch);
        await CreateItemAsync(project, "three");
        Assert.That((await third).Type, Is.EqualTo(OrchestrationEventTypes.WorkItemCreated));
    }

    private static async Task<OrchestrationEvent> NextAsync(IAsyncEnumerator<OrchestrationEvent> watch)
    {
        Assert.That(await watch.MoveNextAsync().AsTask().WaitAsync(Patience), Is.True);
        return watch.Current;
    }

    private async Task<List<OrchestrationEvent>> ReadAllAsync(Guid? projectId, int take, long after = 0)
    {
        var all = new List<OrchestrationEvent>();
        await using var scope = services.CreateAsyncScope();
        var log = scope.ServiceProvider.GetRequiredService<IEventLog>();
        while (true)
        {
            var page = await log.ReadAsync(all.Count == 0 ? after : all[^1].Sequence, take, projectId);
            all.AddRange(page);
            if (page.Count < take)
            {
                return all;
            }
        }
    }

    private Task<WorkItem> CreateItemAsync(Project target, string title) =>
        WithAsync<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(new NewWorkItem { ProjectId = target.Id, Type = WorkItemType.Task, Title = title }));

    private async Task<TResult> WithAsync<TService, TResult>(Func<TService, Task<TResult>> use)
        where TService : notnull
    {
        await using var scope = services.CreateAsyncScope();
        return await use(scope.ServiceProvider.GetRequiredService<TService>());
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<object?> ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private static async Task<long> InsertEventAsync(NpgsqlConnection connection, string name, bool commit)
    {
        var sql = $"INSERT INTO orchestration_events (occurred_at, type, entity_type) VALUES (now(), 'test.{name}', 'test') RETURNING sequence";
        if (!commit)
        {
            return (long)(await ExecuteAsync(connection, sql))!;
        }

        await using (connection)
        {
            return (long)(await ExecuteAsync(connection, sql))!;
        }
    }
}
