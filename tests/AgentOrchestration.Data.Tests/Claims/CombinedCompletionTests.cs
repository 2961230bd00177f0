using System.Collections.Concurrent;
using System.Data.Common;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Faults;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Claims;

/// <summary>
/// Concurrent completions of one process share one round trip on PostgreSQL (a completion that finds another in flight
/// queues, and the queue runs as one statement when it ends), and each caller still gets exactly its own outcome: the
/// result, the refusal, the cancellation or the resolved fault it gets alone. The interleavings are pinned by holding a
/// work item's row lock from another connection, so the first completion is in flight while the others arrive; a
/// completion queues synchronously inside its call, before the call returns its task.
/// </summary>
public sealed class CombinedCompletionTests(DatabaseProvider provider) : OrchestrationFixture(provider)
{
    private ConnectionFaults faults = null!;
    private OpenHook opens = null!;
    private RecordingObserver observer = null!;
    private Project project = null!;
    private AgentProfile[] agents = [];

    [SetUp]
    public async Task SeedAsync()
    {
        project = await CreateProjectAsync();
        agents = [await RegisterAgentAsync(16), await RegisterAgentAsync(16), await RegisterAgentAsync(16)];
        await MarkSeededAsync();
    }

    [Test]
    public async Task Completions_of_different_agents_queued_behind_one_in_flight_share_one_round_trip()
    {
        PostgreSqlOnly();
        var leases = await ClaimAsync(7);
        using var trips = new NpgsqlTrips(Database);

        await using var holder = await HoldAsync(leases[0]);
        var leader = Start(c => c.CompleteAsync(leases[0]));
        await PostgresWaits.UntilBlockedAsync(Database);
        var before = trips.Count;
        var followers = leases.Skip(1).Select(lease => Start(c => c.CompleteAsync(lease))).ToList();
        await holder.DisposeAsync();
        await Task.WhenAll([leader, .. followers]);

        // The leader's own batch and one batch for the six queued behind it (a transaction's commit is not traced).
        Assert.That(trips.Count - before, Is.EqualTo(2), "the queued completions went as one batch");
        await AssertCompletedOnceAsync(leases);
    }

    [Test]
    public async Task Good_and_bad_leases_combined_each_get_what_they_get_alone()
    {
        var leases = await ClaimAsync(9);
        await UseAsync<IWorkClaimer, bool>(async c =>
        {
            await c.ReleaseAsync(leases[3], "given back");
            return true;
        });
        var missing = Guid.NewGuid();
        var calls = new (string Name, Func<IWorkClaimer, Task> Call)[]
        {
            ("good", c => c.CompleteAsync(leases[1])),
            ("stale token", c => c.CompleteAsync(leases[2] with { FencingToken = leases[2].FencingToken + 1 })),
            ("released", c => c.CompleteAsync(leases[3])),
            ("another assignment", c => c.CompleteAsync(leases[4] with { AssignmentId = leases[5].AssignmentId })),
            ("good batch", c => c.CompleteBatchAsync([leases[5], leases[6]])),
            ("batch with a stale token", c => c.CompleteBatchAsync([leases[7], leases[8] with { FencingToken = 0 }])),
            ("no such item", c => c.CompleteAsync(leases[1] with { WorkItemId = missing })),
        };

        // Alone first: the refusals write nothing, so the same calls can be made again, combined.
        var alone = new Dictionary<string, (Type?, string?)>();
        foreach (var (name, call) in calls.Where(c => !c.Name.StartsWith("good", StringComparison.Ordinal)))
        {
            alone[name] = Outcome(await CatchAsync(() => Start(call)));
        }

        var combined = new Dictionary<string, Task<Exception?>>();
        await using (var holder = await HoldAsync(leases[0]))
        {
            var leader = Start(c => c.CompleteAsync(leases[0]));
            await WhileBlockedAsync();
            foreach (var (name, call) in calls)
            {
                combined[name] = CatchAsync(() => Start(call));
            }

            await holder.DisposeAsync();
            await leader;
        }

        var got = new Dictionary<string, (Type?, string?)>();
        foreach (var (name, outcome) in combined)
        {
            got[name] = Outcome(await outcome);
        }

        Assert.Multiple(() =>
        {
            foreach (var (name, outcome) in got)
            {
                Assert.That(outcome, Is.EqualTo(name.StartsWith("good", StringComparison.Ordinal) ? ((Type?)null, (string?)null) : alone[name]), name);
            }
        });
        await AssertCompletedOnceAsync([leases[0], leases[1], leases[5], leases[6]]);
        await AssertNotCompletedAsync([leases[2], leases[4], leases[7], leases[8]]);
    }

    [Test]
    public async Task A_completion_cancelled_while_queued_leaves_the_queue_and_writes_nothing()
    {
        PostgreSqlOnly();
        var leases = await ClaimAsync(3);
        using var cancel = new CancellationTokenSource();
        Task cancelled, other;
        await using (var holder = await HoldAsync(leases[0]))
        {
            var leader = Start(c => c.CompleteAsync(leases[0]));
            await WhileBlockedAsync();
            cancelled = Start(c => c.CompleteAsync(leases[1], cancel.Token));
            other = Start(c => c.CompleteAsync(leases[2]));
            await cancel.CancelAsync();

            // While the first completion still waits for the row lock: the cancelled one is done with already.
            Assert.That(async () => await cancelled, Throws.InstanceOf<OperationCanceledException>());
            await holder.DisposeAsync();
            await leader;
            await other;
        }

        await AssertNotCompletedAsync([leases[1]]);
        await AssertCompletedOnceAsync([leases[0], leases[2]]);
        await Start(c => c.CompleteAsync(leases[1]));
        await AssertCompletedOnceAsync([leases[1]]);
    }

    [Test]
    public async Task A_cancelled_leader_alone_in_flight_does_not_fail_the_completions_queued_behind_it()
    {
        PostgreSqlOnly();
        var leases = await ClaimAsync(3);
        using var cancel = new CancellationTokenSource();
        await using var holder = await HoldAsync(leases[0]);
        var leader = Start(c => c.CompleteAsync(leases[0], cancel.Token));
        await PostgresWaits.UntilBlockedAsync(Database);
        var followers = new[] { Start(c => c.CompleteAsync(leases[1])), Start(c => c.CompleteAsync(leases[2])) };
        await cancel.CancelAsync();

        Assert.That(async () => await leader, Throws.InstanceOf<OperationCanceledException>(), "its statement was cancelled, as without combining");

        // The holder still holds the leader's item: the queued ones ran without it.
        await Task.WhenAll(followers);
        await AssertCompletedOnceAsync([leases[1], leases[2]]);
        await holder.DisposeAsync();
        await AssertNotCompletedAsync([leases[0]]);
    }

    [Test]
    public async Task A_cancelled_caller_leading_a_combined_batch_in_flight_does_not_cancel_the_others()
    {
        PostgreSqlOnly();
        var leases = await ClaimAsync(4);
        using var cancel = new CancellationTokenSource();
        await using var holder = await HoldAsync(leases[0]);
        var leader = Start(c => c.CompleteAsync(leases[0]));
        await PostgresWaits.UntilBlockedAsync(Database);

        // The first queued caller runs the queue when the leader ends; it is cancelled as its batch opens its connection.
        var batchLeader = Start(c => c.CompleteAsync(leases[1], cancel.Token));
        var others = new[] { Start(c => c.CompleteAsync(leases[2])), Start(c => c.CompleteAsync(leases[3])) };
        opens.OnNextOpen(cancel.Cancel);
        await holder.DisposeAsync();
        await leader;

        // Its command was sent on the others' behalf too: it runs to the end, as a command past its cancellation point.
        await Task.WhenAll([batchLeader, .. others]);
        Assert.That(cancel.IsCancellationRequested, Is.True);
        await AssertCompletedOnceAsync(leases);
    }

    [Test]
    public async Task A_large_batch_completion_never_queues_behind_a_completion_in_flight()
    {
        PostgreSqlOnly();
        var leases = await ClaimAsync(21);
        await using var held = await HoldAsync(leases[0]);
        var leader = Start(c => c.CompleteAsync(leases[0]));
        await PostgresWaits.UntilBlockedAsync(Database);

        // The leader stays blocked until the holder ends; a batch of 20 queued behind it would wait as long (and 16
        // workers' batches would run one at a time). The bound, under the command timeout, only ends a broken test.
        var batch = Start(c => c.CompleteBatchAsync(leases[1..]));
        await Task.WhenAny(batch, Task.Delay(TimeSpan.FromSeconds(15)));
        Assert.That(batch.IsCompletedSuccessfully, "the batch completion ran alone while the leader was still in flight");
        await AssertCompletedOnceAsync(leases[1..]);
        Assert.That(leader.IsCompleted, Is.False);

        await held.DisposeAsync();
        await leader;
        await AssertCompletedOnceAsync(leases);
    }

    [Test]
    public async Task A_combined_batch_stuck_behind_a_row_lock_lets_the_others_complete_alone()
    {
        PostgreSqlOnly();
        var leases = await ClaimAsync(4);
        var first = await HoldAsync(leases[0]);
        await using var stuck = await HoldAsync(leases[1]);
        var leader = Start(c => c.CompleteAsync(leases[0]));
        await PostgresWaits.UntilBlockedAsync(Database);
        var blocked = Start(c => c.CompleteAsync(leases[1]));
        var others = new[] { Start(c => c.CompleteAsync(leases[2])), Start(c => c.CompleteAsync(leases[3])) };
        await first.DisposeAsync();
        await leader;

        // The combined batch of the three waits for the held row only briefly, then each completes alone: the two whose
        // rows are free finish while the holder still holds the third's (without the bound they would wait for it).
        var freed = Task.WhenAll(others);
        Assert.That(await Task.WhenAny(freed, Task.Delay(TimeSpan.FromSeconds(60))), Is.SameAs(freed), "the free completions finished while the row was held");
        await freed;
        Assert.That(observer.Retries, Is.Empty, "no completion timed out and was retried");
        await AssertCompletedOnceAsync([leases[2], leases[3]]);
        Assert.That(blocked.IsCompleted, Is.False, "the held one still waits for its own lock, as alone");

        await stuck.DisposeAsync();
        await blocked;
        await AssertCompletedOnceAsync(leases);
    }

    [Test]
    public async Task Two_completions_of_one_lease_queued_together_get_what_they_get_one_after_the_other()
    {
        var leases = await ClaimAsync(2);
        Task<Exception?> once, twice;
        await using (var holder = await HoldAsync(leases[0]))
        {
            var leader = Start(c => c.CompleteAsync(leases[0]));
            await WhileBlockedAsync();
            once = CatchAsync(() => Start(c => c.CompleteAsync(leases[1])));
            twice = CatchAsync(() => Start(c => c.CompleteAsync(leases[1])));
            await holder.DisposeAsync();
            await leader;
        }

        var again = await CatchAsync(() => Start(c => c.CompleteAsync(leases[1])));
        Assert.That(again, Is.Not.Null, "completing a completed lease is refused");
        Assert.That(Outcome(await once), Is.EqualTo(((Type?)null, (string?)null)));
        Assert.That(Outcome(await twice), Is.EqualTo(Outcome(again)));
        await AssertCompletedOnceAsync(leases);
    }

    [Test]
    public async Task A_combined_completion_whose_reply_was_lost_is_resolved_as_done_for_every_caller()
    {
        PostgreSqlOnly();
        var leases = await ClaimAsync(4);
        await using var holder = await HoldAsync(leases[0]);
        var leader = Start(c => c.CompleteAsync(leases[0]));
        await PostgresWaits.UntilBlockedAsync(Database);
        var queued = leases.Skip(1).Select(lease => Start(c => c.CompleteAsync(lease))).ToList();

        // The next connection opened is the combined batch's (the leader's is open): it commits, and its connection breaks
        // as it is handed back, so the reply is lost for all three.
        opens.OnNextOpen(() => faults.AtClose());
        await holder.DisposeAsync();
        await leader;
        await Task.WhenAll(queued);

        Assert.That(faults.Injected, Is.EqualTo(1));
        Assert.That(observer.Resolutions, Is.EquivalentTo(Enumerable.Repeat(("IWorkClaimer.CompleteAsync", true), 3)), "each caller checked its own lease and found it done");
        await AssertCompletedOnceAsync(leases);
    }

    [Test]
    public async Task Many_workers_claiming_and_completing_at_once_each_complete_their_own_items_exactly_once()
    {
        const int items = 60;
        for (var i = 0; i < items; i++)
        {
            await CreateWorkAsync(project, configure: w => w.Priority = 1 + (i % 5));
        }

        var done = new ConcurrentBag<WorkLease>();
        var workers = Enumerable.Range(0, 12).Select(w => Task.Run(async () =>
        {
            var agent = agents[w % agents.Length];
            while (true)
            {
                await using var scope = Services.CreateAsyncScope();
                var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
                if (await claimer.ClaimNextAsync(agent.Id, project.Id) is not { } claimed)
                {
                    return;
                }

                await claimer.CompleteAsync(claimed.Lease);
                done.Add(claimed.Lease);
            }
        })).ToList();
        await Task.WhenAll(workers);

        Assert.That(done.Select(l => l.WorkItemId), Is.Unique.And.Exactly(items).Items);
        await AssertCompletedOnceAsync([.. done]);
    }

    protected override ServiceProvider BuildServices()
    {
        faults = new ConnectionFaults(Provider, Database.ConnectionString);
        observer = new RecordingObserver();
        opens = new OpenHook();
        var collection = new ServiceCollection();
        collection.AddSingleton<IRetryObserver>(observer);
        collection.AddDbContext<AgentOrchestrationDbContext>(options => Database.Throwaway.ConfigureContext(options).AddInterceptors(faults, opens));
        collection.AddAgentOrchestration(o => o.UseDbContext<AgentOrchestrationDbContext>().UseClock(Clock).ConfigureQa(p => p.RequireNone())
            .ConfigureRetries(r =>
            {
                r.BaseDelay = TimeSpan.FromMilliseconds(1);
                r.MaxDelay = TimeSpan.FromMilliseconds(5);
            }));
        return collection.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
    }

    private static (Type?, string?) Outcome(Exception? exception) => (exception?.GetType(), exception?.Message);

    private static async Task<Exception?> CatchAsync(Func<Task> call)
    {
        try
        {
            await call();
            return null;
        }
        catch (Exception exception)
        {
            return exception;
        }
    }

    private void PostgreSqlOnly()
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            Assert.Ignore("SQLite runs one writer at a time: nothing is combined, and no row lock can hold one completion in flight.");
        }
    }

    /// <summary>PostgreSQL: until the first completion waits for the held row lock; SQLite holds nothing (see <see cref="HoldAsync"/>).</summary>
    private Task WhileBlockedAsync() => Provider == DatabaseProvider.PostgreSql ? PostgresWaits.UntilBlockedAsync(Database) : Task.CompletedTask;

    /// <summary>Claims <paramref name="count"/> new items, spread over the agents.</summary>
    private async Task<WorkLease[]> ClaimAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            await CreateWorkAsync(project, configure: w => w.Priority = 1 + (i % 5));
            Clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        var leases = new WorkLease[count];
        for (var i = 0; i < count; i++)
        {
            var agent = agents[i % agents.Length];
            leases[i] = (await UseAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(agent.Id, project.Id)))!.Lease;
        }

        Clock.Advance(TimeSpan.FromMinutes(1));
        return leases;
    }

    /// <summary>PostgreSQL: holds the lease's work item row lock from a connection of its own, until disposed.</summary>
    private async Task<IAsyncDisposable> HoldAsync(WorkLease lease)
    {
        var db = CreateContext();
        if (Provider == DatabaseProvider.Sqlite)
        {
            // SQLite's calls run to their end (its driver is synchronous): nothing is held, they run one after another.
            return db;
        }

        return await CombinerCalls.HoldRowAsync<WorkItem>(db, lease.WorkItemId);
    }

    /// <summary>
    /// Starts <paramref name="call"/> in a scope of its own and returns once it is sent or queued (its synchronous part
    /// ran); the scope ends with the call.
    /// </summary>
    private Task Start(Func<IWorkClaimer, Task> call)
    {
        var scope = Services.CreateAsyncScope();
        Task running;
        try
        {
            running = call(scope.ServiceProvider.GetRequiredService<IWorkClaimer>());
        }
        catch (Exception exception)
        {
            running = Task.FromException(exception);
        }

        return EndScopeAfterAsync(scope, running);
    }

    private static async Task EndScopeAfterAsync(AsyncServiceScope scope, Task running)
    {
        try
        {
            await running;
        }
        finally
        {
            await scope.DisposeAsync();
        }
    }

    private async Task AssertCompletedOnceAsync(IReadOnlyCollection<WorkLease> leases)
    {
        await using var db = CreateContext();
        var ids = leases.Select(l => l.WorkItemId).ToList();
        var stored = await db.WorkItems.AsNoTracking().Include(w => w.CurrentAssignment).Where(w => ids.Contains(w.Id)).ToListAsync();
        var events = await TestEvents(db).Where(e => e.Type == OrchestrationEventTypes.WorkItemCompleted).Select(e => e.EntityId).ToListAsync();
        Assert.Multiple(() =>
        {
            Assert.That(stored.Select(w => (w.Id, w.Status, w.DelegationStatus, w.CurrentAssignmentId, w.CurrentAssignment!.Status)),
                Is.EquivalentTo(leases.Select(l => (l.WorkItemId, WorkItemStatus.Done, DelegationStatus.Completed, (Guid?)l.AssignmentId, AssignmentStatus.Completed))));
            Assert.That(stored.Select(w => w.DelegationHistory!.Count(h => h.Action == "complete")), Is.All.EqualTo(1));
            Assert.That(events.Where(e => ids.Contains(e!.Value)), Is.EquivalentTo(ids.Select(i => (Guid?)i)), "one completed event per item");
        });
    }

    private async Task AssertNotCompletedAsync(IReadOnlyCollection<WorkLease> leases)
    {
        await using var db = CreateContext();
        var ids = leases.Select(l => l.WorkItemId).ToList();
        Assert.That(await db.WorkItems.CountAsync(w => ids.Contains(w.Id) && w.Status == WorkItemStatus.Done), Is.Zero);
        Assert.That(await TestEvents(db).CountAsync(e => e.Type == OrchestrationEventTypes.WorkItemCompleted && ids.Contains(e.EntityId!.Value)), Is.Zero);
    }

    /// <summary>Runs an action once, as the next connection of the library's contexts opens.</summary>
    private sealed class OpenHook : DbConnectionInterceptor
    {
        private Action? next;

        public void OnNextOpen(Action action) => Volatile.Write(ref next, action);

        public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            Interlocked.Exchange(ref next, null)?.Invoke();
            return Task.CompletedTask;
        }
    }

    private sealed class RecordingObserver : IRetryObserver
    {
        private readonly ConcurrentQueue<(string, bool)> resolutions = new();
        private readonly ConcurrentQueue<string> retries = new();

        public IReadOnlyCollection<(string, bool)> Resolutions => resolutions;

        public IReadOnlyCollection<string> Retries => retries;

        public void Started(string operation)
        {
        }

        public void Retrying(string operation, int attempt, TimeSpan delay, Exception fault) => retries.Enqueue(operation);

        public void GaveUp(string operation, int attempts, bool mayHaveCommitted, Exception fault)
        {
        }

        public void Resolved(string operation, bool landed) => resolutions.Enqueue((operation, landed));
    }
}
