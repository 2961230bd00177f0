using System.Globalization;
using AgentOrchestration.Data.Sqlite.Locking;
using AgentOrchestration.Data.Sqlite.Storage;
using AgentOrchestration.Data.Storage;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Tests.Reliability;

/// <summary>
/// A process's writer gate (<see cref="WriterGate"/>) hands the cross-process turn (<see cref="WriterQueue"/>) from one of
/// its writers to the next, at most <see cref="WriterGate.TransactionsPerTurn"/> transactions per turn, and gives a turn
/// left for a writer that never takes it back to the queue at once. Driven here on a gate of the test process and a real
/// <c>&lt;database&gt;-writers</c> file, with a writer of another process (<see cref="WriterQueueChild"/>) queued behind: its
/// log says when its turn came, and its count of skipped tickets says whether it got it because the turn was passed on or
/// because it gave up on a turn left stranded (which, beating, it would hold for 30 s). SQLite only. Asserts orders and
/// counts, never times.
/// </summary>
[NonParallelizable]
public sealed class TurnHandOverTests : WriterQueueFiles
{
    /// <summary>Longer than any step of a test, so its turns are bounded by their count alone.</summary>
    private static readonly TimeSpan Budget = TimeSpan.FromMinutes(5);

    [Test]
    public async Task A_turn_is_handed_to_the_next_writer_of_the_process_and_another_process_gets_its_turn_after_the_bound()
    {
        var queue = WriterQueue.For(Database)!;
        var gate = new WriterGate(Budget);
        var handOversBefore = WriterGate.HandOvers;
        await gate.EnterAsync(CancellationToken.None);
        var current = await gate.TurnAsync(queue, CancellationToken.None);
        var tickets = new List<long> { current.Ticket };
        await using var other = LiveChild.Start("writer-queue", "wait", Database, Log);
        await other.WaitForAsync("queued");

        for (var writer = 1; writer <= WriterGate.TransactionsPerTurn + 1; writer++)
        {
            // The next writer of this process is queued at the gate when this one's transaction ends.
            var next = gate.EnterAsync(CancellationToken.None);
            gate.EndTurn(current);
            gate.Leave();
            await next;
            current = await gate.TurnAsync(queue, CancellationToken.None);
            tickets.Add(current.Ticket);
        }

        gate.EndTurn(current);
        gate.Leave();
        var (_, _, skips) = Counts(await other.WaitForAsync("turn"));
        var otherTicket = WriterQueueChild.Read(Log).Single(t => t.What == "enter").Ticket;
        Assert.Multiple(() =>
        {
            Assert.That(tickets.Take(WriterGate.TransactionsPerTurn), Is.All.EqualTo(tickets[0]), "the process's writers shared one turn");
            Assert.That(tickets.Count(t => t == tickets[0]), Is.EqualTo(WriterGate.TransactionsPerTurn), "for no more transactions than the bound");
            Assert.That(tickets.Skip(WriterGate.TransactionsPerTurn), Is.All.EqualTo(tickets[^1]).And.All.GreaterThan(otherTicket), "then the other process's writer had its turn, before the process's next turn, which was handed over again");
            Assert.That(WriterGate.HandOvers - handOversBefore, Is.EqualTo(WriterGate.TransactionsPerTurn), "hand-overs counted");
            Assert.That(gate.LongestTurn, Is.EqualTo(WriterGate.TransactionsPerTurn));
            Assert.That(gate.HasLeftTurn, Is.False, "nobody queued after the last writer: its turn was passed on");
            Assert.That(skips, Is.Zero, "the other process's writer was passed the turn, not left to give up on it");
        });
    }

    [Test]
    public async Task A_turn_left_for_a_writer_cancelled_while_queued_goes_back_to_the_queue_when_the_gate_is_left()
    {
        var (gate, turn, other) = await HoldWithOtherProcessBehindAsync();
        await using (other)
        {
            using var cancel = new CancellationTokenSource();
            var next = gate.EnterAsync(cancel.Token);
            gate.EndTurn(turn);
            Assert.That(gate.HasLeftTurn, Is.True, "left for the writer queued at the gate");

            // Cancelled after it was counted as queued, before the gate was left: nobody takes the gate with the turn.
            await cancel.CancelAsync();
            Assert.That(async () => await next, Throws.InstanceOf<OperationCanceledException>());
            gate.Leave();

            await AssertGivenBackAsync(gate, other);
        }
    }

    [Test]
    public async Task A_turn_left_for_a_writer_that_leaves_the_gate_without_beginning_goes_back_to_the_queue()
    {
        var (gate, turn, other) = await HoldWithOtherProcessBehindAsync();
        await using (other)
        {
            var next = gate.EnterAsync(CancellationToken.None);
            gate.EndTurn(turn);
            gate.Leave();
            await next;
            Assert.That(gate.HasLeftTurn, Is.True, "the next writer holds the gate, the turn waits for it");

            // As a writer whose connection fails to open, or whose token is cancelled, after it got the gate: it leaves
            // without taking the turn, and no writer of this process is queued behind it.
            gate.Leave();

            await AssertGivenBackAsync(gate, other);
        }
    }

    [Test]
    public async Task A_turn_left_for_a_writer_that_hands_it_on_to_one_cancelled_goes_back_to_the_queue()
    {
        var (gate, turn, other) = await HoldWithOtherProcessBehindAsync();
        await using (other)
        {
            var second = gate.EnterAsync(CancellationToken.None);
            gate.EndTurn(turn);
            gate.Leave();
            await second;
            var handed = await gate.TurnAsync(WriterQueue.For(Database)!, CancellationToken.None);
            Assert.That(handed.Ticket, Is.EqualTo(turn.Ticket), "handed over");

            using var cancel = new CancellationTokenSource();
            var third = gate.EnterAsync(cancel.Token);
            gate.EndTurn(handed);
            await cancel.CancelAsync();
            Assert.That(async () => await third, Throws.InstanceOf<OperationCanceledException>());
            gate.Leave();

            await AssertGivenBackAsync(gate, other);
        }
    }

    [Test]
    public async Task A_turn_left_for_a_library_writer_whose_connection_fails_to_open_goes_back_to_the_queue()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var file = new SqliteConnectionStringBuilder(database.ConnectionString).DataSource;
        var gate = new WriterGate(Budget);
        SqliteOrchestrationProvider.UseGate(file, gate);
        await using var holder = database.CreateContext();
        var provider = OrchestrationProviders.For(holder);
        var handOversBefore = WriterGate.HandOvers;
        var held = await provider.BeginSerializedAsync(holder, "test", CancellationToken.None);
        await using var other = LiveChild.Start("writer-queue", "wait", file, Log);
        await other.WaitForAsync("queued");

        // A writer of this process queued at the gate: its connection cannot open (a password, which this SQLite build
        // cannot use), so it gets the gate with the turn left for it and fails before BEGIN.
        await using var failing = new AgentOrchestrationDbContext(database.Options<AgentOrchestrationDbContext>(
            b => b.UseSqlite(new SqliteConnectionStringBuilder(database.ConnectionString) { Password = "none" }.ConnectionString)));
        var begun = provider.BeginSerializedAsync(failing, "test", CancellationToken.None);
        Assert.That(gate.OthersWaiting, Is.True, "queued at the gate");
        await held.DisposeAsync();
        Assert.That(async () => await begun, Throws.Exception);

        await AssertGivenBackAsync(gate, other);
        Assert.That(WriterGate.HandOvers, Is.EqualTo(handOversBefore), "the failing writer never took the turn");
    }

    /// <summary>The test process holds the gate and a turn; another process's writer has the next ticket.</summary>
    private async Task<(WriterGate Gate, WriterQueue.Turn Turn, LiveChild Other)> HoldWithOtherProcessBehindAsync()
    {
        var queue = WriterQueue.For(Database)!;
        var gate = new WriterGate(Budget);
        await gate.EnterAsync(CancellationToken.None);
        var turn = await gate.TurnAsync(queue, CancellationToken.None);
        var other = LiveChild.Start("writer-queue", "wait", Database, Log);
        await other.WaitForAsync("queued");
        return (gate, turn, other);
    }

    /// <summary>
    /// The other process's writer got its turn because the turn was passed on, not by skipping it: stranded, the turn
    /// would still beat, and it would wait 30 s (<see cref="WriterQueue.LiveTurnLimit"/>), then skip it.
    /// </summary>
    private async Task AssertGivenBackAsync(WriterGate gate, LiveChild other)
    {
        var (_, _, skips) = Counts(await other.WaitForAsync("turn"));
        Assert.Multiple(() =>
        {
            Assert.That(gate.HasLeftTurn, Is.False, "no turn left in the gate");
            Assert.That(skips, Is.Zero, "the other process's writer got its turn without skipping a stranded one");
            Assert.That(WriterQueueChild.Read(Log).Select(t => t.What), Is.EqualTo(new[] { "enter", "leave" }), "and had it");
        });
    }

    /// <summary>The waiter's <c>turn POLLS WAKES SKIPS</c> line.</summary>
    private static (long Polls, long Wakes, long Skips) Counts(string line)
    {
        var parts = line.Split(' ');
        return (long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture), long.Parse(parts[3], CultureInfo.InvariantCulture));
    }
}
