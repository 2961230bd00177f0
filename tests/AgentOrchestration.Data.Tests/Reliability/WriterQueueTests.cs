using AgentOrchestration.Data.Sqlite.Locking;
using AgentOrchestration.Data.Tests.Infrastructure;

namespace AgentOrchestration.Data.Tests.Reliability;

/// <summary>
/// SQLite's cross-process writer queue (<c>Locking/WriterQueue.cs</c>) driven by real OS processes on one
/// <c>&lt;database&gt;-writers</c> file, each writing its turns to a shared log while it holds them. SQLite only: PostgreSQL
/// has no such queue (its writers wait on row locks in the server). Asserts orders and counts, never times.
/// </summary>
[NonParallelizable]
public sealed class WriterQueueTests : WriterQueueFiles
{
    [Test]
    public async Task Processes_take_turns_one_at_a_time_in_ticket_order_and_in_equal_shares()
    {
        const int processes = 4;
        const int total = 400;
        var children = Enumerable.Range(0, processes).Select(_ => LiveChild.Start("writer-queue", "turns", Database, Log, total.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        try
        {
            foreach (var child in children)
            {
                await child.WaitForAsync("ready");
            }

            foreach (var child in children)
            {
                await child.SendAsync("go");
            }

            var shares = new List<int>();
            foreach (var child in children)
            {
                shares.Add(int.Parse((await child.WaitForAsync("done ")).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture));
            }

            var turns = WriterQueueChild.Read(Log);
            Assert.That(turns, Has.Count.EqualTo(2 * total), "every turn entered and left");
            for (var i = 0; i < turns.Count; i += 2)
            {
                // One holder at a time: each turn is left before the next is entered.
                Assert.That((turns[i].What, turns[i + 1].What, turns[i + 1].Process, turns[i + 1].Ticket), Is.EqualTo(("enter", "leave", turns[i].Process, turns[i].Ticket)), $"turn {i / 2}");
            }

            var tickets = turns.Where(t => t.What == "enter").Select(t => t.Ticket).ToList();
            Assert.That(tickets, Is.Ordered.Ascending.And.Unique, "tickets are served in the order they were taken");

            // First come, first served: a process queues again as soon as it has had its turn, so while all are
            // taking turns none gets far ahead. The shares are what each process printed and what the log says.
            Assert.That(shares.Sum(), Is.EqualTo(total));
            Assert.That(children.Select(c => turns.Count(t => t.What == "enter" && t.Process == c.Id)), Is.EqualTo(shares));
            Assert.That(shares, Is.All.InRange(total / processes / 2, total / processes * 2), "every process's share within a factor of 2 of the mean");
        }
        finally
        {
            foreach (var child in children)
            {
                await child.DisposeAsync();
            }
        }
    }

    [Test]
    public async Task A_live_holder_keeps_its_turn_however_long_it_takes()
    {
        await using var holder = LiveChild.Start("writer-queue", "hold", Database, Log);
        await holder.WaitForAsync("holding");
        await using var waiter = LiveChild.Start("writer-queue", "wait", Database, Log);
        await waiter.WaitForAsync("queued");

        // A slow transaction (a cold start, a checkpoint, a loaded machine): longer than a waiter waits for a holder
        // that shows no sign of life.
        await Task.Delay(WriterQueue.StallLimit * 3);
        await holder.SendAsync("release");
        await holder.WaitForAsync("released");
        await waiter.WaitForAsync("turn");

        var turns = WriterQueueChild.Read(Log);
        Assert.That(turns.Select(t => (t.What, t.Process)), Is.EqualTo(new[] { ("enter", holder.Id), ("leave", holder.Id), ("enter", waiter.Id), ("leave", waiter.Id) }), "the waiter's turn came after the holder had left its own");
    }

    [Test]
    public async Task A_holder_killed_in_its_turn_is_skipped_and_the_next_writer_gets_its_turn()
    {
        await using var holder = LiveChild.Start("writer-queue", "hold", Database, Log);
        await holder.WaitForAsync("holding");
        await using var waiter = LiveChild.Start("writer-queue", "wait", Database, Log);
        await waiter.WaitForAsync("queued");
        await holder.KillAsync();
        await waiter.WaitForAsync("turn");

        var turns = WriterQueueChild.Read(Log);
        Assert.That(turns.Select(t => (t.What, t.Process)), Is.EqualTo(new[] { ("enter", holder.Id), ("enter", waiter.Id), ("leave", waiter.Id) }), "the killed holder never left; the waiter had its turn");
    }

    [Test]
    public async Task A_waiter_behind_a_live_holder_sleeps_until_the_holder_passes_the_turn_on()
    {
        RequireTurnSignal();
        await using var holder = LiveChild.Start("writer-queue", "hold", Database, Log);
        await holder.WaitForAsync("holding");
        await using var waiter = LiveChild.Start("writer-queue", "wait", Database, Log);
        await waiter.WaitForAsync("queued");

        // Long enough for many of the waiter's rechecks, each of which could have fallen back to looking by timer.
        await Task.Delay(WriterQueue.Recheck * 10);
        await holder.SendAsync("release");
        await holder.WaitForAsync("released");
        var (polls, wakes) = Counts(await waiter.WaitForAsync("turn"));

        var turns = WriterQueueChild.Read(Log);
        Assert.That(turns.Select(t => (t.What, t.Process)), Is.EqualTo(new[] { ("enter", holder.Id), ("leave", holder.Id), ("enter", waiter.Id), ("leave", waiter.Id) }), "the waiter's turn came after the holder had left its own");
        // The holder moves the queue on, then lets go of its slot's lock: a recheck falling between the two finds the turn
        // before the kernel's wake is counted. Either way the waiter slept on the lock throughout and never polled.
        Assert.That(polls, Is.Zero, "the waiter never looked by timer");
        Assert.That(wakes, Is.InRange(0L, 1L), "the kernel woke it at most once, when the holder passed its turn on");
    }

    [Test]
    public async Task A_waiter_whose_predecessor_gives_up_its_ticket_sleeps_on_the_one_before_it()
    {
        RequireTurnSignal();
        await using var holder = LiveChild.Start("writer-queue", "hold", Database, Log);
        await holder.WaitForAsync("holding");
        await using var quitter = LiveChild.Start("writer-queue", "cancel", Database, Log);
        await quitter.WaitForAsync("queued");
        await using var waiter = LiveChild.Start("writer-queue", "wait", Database, Log);
        await waiter.WaitForAsync("queued");

        await quitter.SendAsync("cancel");
        await quitter.WaitForAsync("cancelled");
        await Task.Delay(WriterQueue.Recheck * 4);
        await holder.SendAsync("release");
        await holder.WaitForAsync("released");
        var (polls, wakes) = Counts(await waiter.WaitForAsync("turn"));

        var turns = WriterQueueChild.Read(Log);
        Assert.That(turns.Select(t => (t.What, t.Process)), Is.EqualTo(new[] { ("enter", holder.Id), ("leave", holder.Id), ("enter", waiter.Id), ("leave", waiter.Id) }), "the given-up ticket never had a turn; the waiter's came after the holder's");
        // The second wake can be beaten by a recheck, as in the test above; the first cannot (the turn was not the waiter's yet).
        Assert.That(polls, Is.Zero, "the waiter never looked by timer");
        Assert.That(wakes, Is.InRange(1L, 2L), "woken when the ticket before it was given up, then slept on the holder's until it passed the turn on");
    }

    [Test]
    public async Task A_waiter_whose_queued_predecessor_is_killed_gets_its_turn_after_the_holder()
    {
        // The waiter sleeps on the ticket just before its own; the kernel wakes it when that process dies, and the dead
        // ticket is skipped once it comes up, without a turn.
        await using var holder = LiveChild.Start("writer-queue", "hold", Database, Log);
        await holder.WaitForAsync("holding");
        await using var victim = LiveChild.Start("writer-queue", "wait", Database, Log);
        await victim.WaitForAsync("queued");
        await using var waiter = LiveChild.Start("writer-queue", "wait", Database, Log);
        await waiter.WaitForAsync("queued");
        await victim.KillAsync();
        await Task.Delay(WriterQueue.Recheck * 4);
        await holder.SendAsync("release");
        await holder.WaitForAsync("released");
        await waiter.WaitForAsync("turn");

        var turns = WriterQueueChild.Read(Log);
        Assert.That(turns.Select(t => (t.What, t.Process)), Is.EqualTo(new[] { ("enter", holder.Id), ("leave", holder.Id), ("enter", waiter.Id), ("leave", waiter.Id) }), "the killed process never had a turn; the waiter's came after the holder's");
    }

    [Test]
    public async Task A_waiter_behind_a_holder_that_takes_no_slot_lock_looks_by_timer_and_gets_its_turn()
    {
        // An older library version on the same file (or a queue where the lock could not be taken) holds its turn
        // without the lock: the waiter finds nothing to sleep on and must not take that for the hand-over.
        await using var holder = LiveChild.Start("writer-queue", "hold-unsignalled", Database, Log);
        await holder.WaitForAsync("holding");
        await using var waiter = LiveChild.Start("writer-queue", "wait", Database, Log);
        await waiter.WaitForAsync("queued");
        await Task.Delay(WriterQueue.Recheck * 4);
        await holder.SendAsync("release");
        await holder.WaitForAsync("released");
        var (polls, wakes) = Counts(await waiter.WaitForAsync("turn"));

        var turns = WriterQueueChild.Read(Log);
        Assert.That(turns.Select(t => (t.What, t.Process)), Is.EqualTo(new[] { ("enter", holder.Id), ("leave", holder.Id), ("enter", waiter.Id), ("leave", waiter.Id) }), "the waiter's turn came after the holder had left its own");
        Assert.That(polls, Is.Positive, "it looked by timer");
        Assert.That(wakes, Is.Zero, "nothing woke it");
    }

    private static void RequireTurnSignal()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("Waiters sleep in the kernel only on Linux (open-file-description locks); elsewhere they look by timer.");
        }
    }

    /// <summary>The waiter's <c>turn POLLS WAKES</c> line.</summary>
    private static (long Polls, long Wakes) Counts(string line)
    {
        var parts = line.Split(' ');
        return (long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture));
    }
}
