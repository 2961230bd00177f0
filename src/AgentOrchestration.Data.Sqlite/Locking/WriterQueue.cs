using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;

namespace AgentOrchestration.Data.Sqlite.Locking;

/// <summary>
/// A first-come, first-served queue of the processes writing one SQLite file, taken before <c>BEGIN IMMEDIATE</c>.
/// SQLite's own lock is not a queue: a waiter sleeps in its busy handler (1 ms to 100 ms naps) and a process that has
/// just committed takes the lock again before any sleeper wakes, so with six processes one waited 14 s while another
/// never waited. Here a writer takes a ticket (an atomic increment in a small memory-mapped file beside the database,
/// <c>&lt;database&gt;-writers</c>, shared by every process as WAL's <c>-shm</c> file is) and begins once the tickets before
/// it are done. OS file locks alone would not do: Linux <c>fcntl</c>/<c>flock</c> wake every waiter on release and the
/// releasing process usually wins the race again, and .NET's <see cref="FileStream.Lock"/> cannot wait at all. On Linux
/// they are the doorbell instead (<see cref="TurnSignal"/>): the writer next in line sleeps in the kernel on its
/// predecessor's slot lock and wakes at the hand-over; elsewhere, or behind a holder without that lock, it looks by timer.
/// <para>
/// The queue only orders writers; SQLite's lock still excludes them, so every way the queue can fail degrades to
/// SQLite's unfair waiting, never to two writers at once. A process beats the slots of the tickets it holds from a
/// thread of its own, so a live holder keeps its turn however slow its transaction (it holds SQLite's lock: skipping it
/// would let no one write sooner). A ticket whose process died (killed inside its transaction, or while queued) is
/// skipped once a few beats are missed and its process id is gone; one whose beats stop for <see cref="StallLimit"/>
/// (a reused process id, a hung process, an older library that does not beat), or taken but never filled in, after that
/// bound, and even a beating one after <see cref="LiveTurnLimit"/>; the skipped writer then waits on SQLite's lock as
/// before. Processes that do not use the queue (other tools, migrations) also just wait on SQLite's lock.
/// </para>
/// </summary>
internal sealed class WriterQueue : IDisposable
{
    /// <summary>How long a ticket may stay unfilled, or a holder go without a beat, before the next writer stops waiting for it.</summary>
    internal static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(1);

    /// <summary>Library commits on the file (from every process) per passive WAL checkpoint (<see cref="Connections.WalCheckpoints"/>).</summary>
    internal const int CheckpointEvery = 64;

    /// <summary>How often a process beats the slots of the tickets it holds.</summary>
    internal static readonly TimeSpan BeatInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Missed beats after which a holder whose process id is not running is taken for dead.</summary>
    internal static readonly TimeSpan DeadBeatLimit = TimeSpan.FromMilliseconds(200);

    /// <summary>How long even a beating holder may keep its turn (far beyond any library transaction; a turn leaked by a bug).</summary>
    internal static readonly TimeSpan LiveTurnLimit = TimeSpan.FromSeconds(30);

    /// <summary>How long a waiter sleeps in the kernel (<see cref="TurnSignal"/>) before it looks at the holder again.</summary>
    internal static readonly TimeSpan Recheck = TimeSpan.FromMilliseconds(50);

    /// <summary>One slot per ticket modulo this: more than this many processes waiting at once share slots (and degrade).</summary>
    private const int Slots = 256;
    private const int NextOffset = 0;
    private const int CommitsOffset = 32;
    private const int ServingOffset = 64;
    private const int SlotsOffset = 128;
    private const int SlotSize = 16;
    private const int Size = SlotsOffset + (Slots * SlotSize);

    /// <summary>The slot's owner gave its ticket up (cancelled while queued): skip it at once.</summary>
    private const long Abandoned = 0;

    private static readonly ConcurrentDictionary<string, Lazy<WriterQueue?>> Queues = new(StringComparer.Ordinal);
    private static readonly long ProcessId = Environment.ProcessId;
    private static long polls;
    private static long wakes;
    private static long skips;

    private readonly MemoryMappedFile file;
    private readonly MemoryMappedViewAccessor view;
    private readonly nint memory;
    private readonly TurnSignal? signal;

    private unsafe WriterQueue(MemoryMappedFile file, MemoryMappedViewAccessor view, TurnSignal? signal)
    {
        this.file = file;
        this.view = view;
        this.signal = signal;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        memory = (nint)(pointer + view.PointerOffset);
    }

    /// <summary>The queue of the database file at <paramref name="databasePath"/>, or <see langword="null"/> when no queue file can be shared there (then writers wait on SQLite's lock alone).</summary>
    public static WriterQueue? For(string databasePath) =>
        Queues.GetOrAdd(databasePath, static path => new Lazy<WriterQueue?>(() => Open(path + "-writers", signalled: true))).Value;

    /// <summary>Gets how many times the waiters of this process looked at the queue again after a timer (not woken by the kernel).</summary>
    internal static long Polls => Volatile.Read(ref polls);

    /// <summary>Gets how many times the waiters of this process were woken by the kernel when the ticket before theirs passed on.</summary>
    internal static long Wakes => Volatile.Read(ref wakes);

    /// <summary>Gets how many times the waiters of this process skipped a ticket whose holder they took for dead, hung or leaked (not one given up).</summary>
    internal static long Skips => Volatile.Read(ref skips);

    /// <summary>A queue of <paramref name="databasePath"/> that neither takes nor waits on slot locks, as an older library version (or another OS) does; for tests.</summary>
    internal static WriterQueue? Unsignalled(string databasePath) => Open(databasePath + "-writers", signalled: false);

    /// <summary>Waits for this process's turn; dispose the result when the write transaction has ended.</summary>
    public async ValueTask<Turn> EnterAsync(CancellationToken cancellationToken)
    {
        var ticket = Interlocked.Increment(ref Next) - 1;

        // Locked before the slot is filled in, so a writer behind that sees it filled in can wait on the lock.
        signal?.Hold(ticket);
        Volatile.Write(ref OwnerOf(ticket), ProcessId);
        Volatile.Write(ref SlotOf(ticket), ticket);
        Beating.Hold(this, ticket);
        var head = new Head(long.MinValue, 0, 0, 0);
        Task<bool>? sleeping = null;
        var sleepingOn = long.MinValue;
        var unlocked = long.MinValue;
        try
        {
            while (true)
            {
                var serving = Volatile.Read(ref Serving);
                if (serving >= ticket)
                {
                    // Our turn, or we were skipped as stalled: then SQLite's lock is the only wait left.
                    return new Turn(this, ticket);
                }

                var now = Environment.TickCount64;
                if (Volatile.Read(ref SlotOf(serving)) == serving && Volatile.Read(ref OwnerOf(serving)) == Abandoned)
                {
                    // Given up while queued: nobody to wait for (the writer behind it was woken when it gave up).
                    Interlocked.CompareExchange(ref Serving, serving + 1, serving);
                    continue;
                }

                var owner = Volatile.Read(ref OwnerOf(serving));
                if (serving != head.Ticket)
                {
                    head = new Head(serving, now, owner, now);
                }
                else
                {
                    if (owner != head.Owner)
                    {
                        head = head with { Owner = owner, OwnerSince = now };
                    }

                    if (ShouldSkip(serving, now - head.Since, now - head.OwnerSince))
                    {
                        if (Interlocked.CompareExchange(ref Serving, serving + 1, serving) == serving)
                        {
                            Interlocked.Increment(ref skips);
                        }

                        continue;
                    }
                }

                // Woken by the kernel when the ticket just before ours passes its turn on (or is given up, or its process
                // dies); every wake and every Recheck looks again, so the skip rules above still decide.
                if (signal is not null)
                {
                    if (sleeping is null && Predecessor(serving, ticket) is var before && before >= 0 && before != unlocked)
                    {
                        sleepingOn = before;
                        sleeping = signal.WaitAsync(before);
                    }

                    if (sleeping is not null)
                    {
                        try
                        {
                            var wasLocked = await sleeping.WaitAsync(Recheck, cancellationToken).ConfigureAwait(false);
                            sleeping = null;
                            if (wasLocked)
                            {
                                Interlocked.Increment(ref wakes);
                            }
                            else
                            {
                                // Its holder holds no lock (an older library version, or its process died): look by timer.
                                unlocked = sleepingOn;
                            }

                            continue;
                        }
                        catch (TimeoutException)
                        {
                            // A slow holder: the skip rules look at it, then this wait goes on.
                            continue;
                        }
                    }
                }

                // The next in line looks often so the hand-over is quick; the rest of the queue needs less.
                Interlocked.Increment(ref polls);
                await Task.Delay(ticket - serving <= 2 ? 1 : 4, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            // Cancelled in the queue: the writers behind skip this ticket, or it is passed on now if it was already ours.
            Beating.Drop(this, ticket);
            Volatile.Write(ref OwnerOf(ticket), Abandoned);
            Interlocked.CompareExchange(ref Serving, ticket + 1, ticket);
            signal?.Release(ticket);
            throw;
        }
    }

    public void Dispose()
    {
        signal?.Dispose();
        view.SafeMemoryMappedViewHandle.ReleasePointer();
        view.Dispose();
        file.Dispose();
    }

    private static WriterQueue? Open(string path, bool signalled)
    {
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            try
            {
                // A new file grows to its size with zeros: ticket 0 is next and is being served, an empty queue.
                var file = MemoryMappedFile.CreateFromFile(stream, null, Size, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
                return new WriterQueue(file, file.CreateViewAccessor(0, Size, MemoryMappedFileAccess.ReadWrite), signalled ? TurnSignal.Open(path, Slots) : null);
            }
            catch
            {
                stream.Dispose();
                throw;
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            // A read-only folder or a file system without shared mappings: no queue, SQLite's lock alone (as before).
            return null;
        }
    }

    private static bool IsRunning(long processId)
    {
        if (processId == ProcessId)
        {
            return true;
        }

        try
        {
            using var process = Process.GetProcessById((int)processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether the ticket being served has no live writer behind it. A live holder's process beats its slot
    /// (<see cref="Beating"/>) however slow its transaction is (a cold start compiling queries, a checkpoint, a loaded
    /// machine), and it keeps its turn: skipping it would not let anyone write sooner, since it holds or is about to take
    /// SQLite's lock, and would only send the writers behind it to SQLite's unfair waiting. A dead holder stops beating.
    /// </summary>
    /// <param name="serving">The ticket being served.</param>
    /// <param name="stalledMilliseconds">How long that ticket has been served.</param>
    /// <param name="beatlessMilliseconds">How long its owner word (process id and beat) has not changed.</param>
    private bool ShouldSkip(long serving, long stalledMilliseconds, long beatlessMilliseconds)
    {
        // Looking up a process costs a system call: not at every poll, only once the turn has not moved for a moment.
        if (stalledMilliseconds < 20)
        {
            return false;
        }

        if (Volatile.Read(ref SlotOf(serving)) != serving)
        {
            // Taken but not filled in: its process died between the two writes, or the slot was reused by a later lap.
            return stalledMilliseconds >= StallLimit.TotalMilliseconds;
        }

        var owner = Volatile.Read(ref OwnerOf(serving));
        if (owner == Abandoned || stalledMilliseconds >= LiveTurnLimit.TotalMilliseconds || beatlessMilliseconds >= StallLimit.TotalMilliseconds)
        {
            // Given up; held beyond any library transaction; or no beat for a second: dead with its process id reused,
            // hung, or a writer of an older version of the library (which does not beat).
            return true;
        }

        // Killed (SIGKILL): skipped within a few missed beats. A process the id check cannot see (another PID namespace)
        // but that beats is alive and keeps its turn.
        return beatlessMilliseconds >= DeadBeatLimit.TotalMilliseconds && !IsRunning(owner & uint.MaxValue);
    }

    /// <summary>
    /// The ticket a waiter with <paramref name="ticket"/> waits for: the nearest one before it, back to the one being
    /// served, that is filled in and not given up (whose lock is held from then on); -1 if the one just before is still
    /// being filled in (an instant) or every one before was given up.
    /// </summary>
    private long Predecessor(long serving, long ticket)
    {
        for (var before = ticket - 1; before >= serving; before--)
        {
            if (Volatile.Read(ref SlotOf(before)) != before)
            {
                return -1;
            }

            if (Volatile.Read(ref OwnerOf(before)) != Abandoned)
            {
                return before;
            }
        }

        return -1;
    }

    /// <summary>Whether this process still holds (waits for or is served) <paramref name="ticket"/>, so its slot should beat.</summary>
    private bool IsOwnSlot(long ticket, out long owner)
    {
        owner = Volatile.Read(ref OwnerOf(ticket));
        return Volatile.Read(ref Serving) <= ticket && Volatile.Read(ref SlotOf(ticket)) == ticket && (owner & uint.MaxValue) == ProcessId;
    }

    /// <summary>The ticket a waiter sees served, since when, and its owner word and since when that has not changed.</summary>
    private readonly record struct Head(long Ticket, long Since, long Owner, long OwnerSince);

    /// <summary>
    /// One background thread per process beats the slot of every ticket the process holds, every
    /// <see cref="BeatInterval"/>: the high half of the owner word counts up while the low half keeps the process id (so a
    /// writer of an older version, which reads the word as the process id, still finds the process). A thread of its own,
    /// not a timer, so a starved thread pool (a cold start, a loaded machine) cannot make a live holder look dead.
    /// </summary>
    private static class Beating
    {
        private static readonly ConcurrentDictionary<(WriterQueue Queue, long Ticket), byte> Held = new();
        private static readonly Lock Starting = new();
        private static Thread? thread;

        public static void Hold(WriterQueue queue, long ticket)
        {
            Held[(queue, ticket)] = 0;
            if (Volatile.Read(ref thread) is null)
            {
                lock (Starting)
                {
                    if (thread is null)
                    {
                        var started = new Thread(Run) { IsBackground = true, Name = "AgentOrchestration SQLite writer queue beat" };
                        started.Start();
                        Volatile.Write(ref thread, started);
                    }
                }
            }
        }

        public static void Drop(WriterQueue queue, long ticket) => Held.TryRemove((queue, ticket), out _);

        private static void Run()
        {
            while (true)
            {
                Thread.Sleep(BeatInterval);
                // Enumerating the dictionary itself takes no lock and copies nothing.
                foreach (var ((queue, ticket), _) in Held)
                {
                    if (!queue.IsOwnSlot(ticket, out var owner))
                    {
                        // Served and passed on, or skipped: nothing left to keep alive.
                        Drop(queue, ticket);
                        continue;
                    }

                    Interlocked.CompareExchange(ref queue.OwnerOf(ticket), owner + (1L << 32), owner);
                }
            }
        }
    }

    private unsafe ref long Next => ref Unsafe.AsRef<long>((byte*)memory + NextOffset);

    /// <summary>Library commits on the file so far (zero in a file an older version made: it was unused).</summary>
    private unsafe ref long Commits => ref Unsafe.AsRef<long>((byte*)memory + CommitsOffset);

    private unsafe ref long Serving => ref Unsafe.AsRef<long>((byte*)memory + ServingOffset);

    /// <summary>The slot of a ticket: the ticket number, written last, so a slot showing it is filled in.</summary>
    private unsafe ref long SlotOf(long ticket) => ref Unsafe.AsRef<long>((byte*)memory + SlotsOffset + ((ticket & (Slots - 1)) * SlotSize));

    /// <summary>The process id that holds a ticket in the low half, its beat count in the high half (<see cref="Abandoned"/> once given up).</summary>
    private unsafe ref long OwnerOf(long ticket) => ref Unsafe.AsRef<long>((byte*)memory + SlotsOffset + ((ticket & (Slots - 1)) * SlotSize) + sizeof(long));

    /// <summary>A writer's turn: disposing it lets the next ticket in (unless it was skipped meanwhile).</summary>
    internal readonly struct Turn(WriterQueue? queue, long ticket) : IDisposable
    {
        /// <summary>Gets the ticket this turn was taken with (tickets are served in order).</summary>
        public long Ticket => ticket;

        /// <summary>Gets whether this is a turn of a queue (not the default of a file without one), so disposing it passes a turn on.</summary>
        public bool IsHeld => queue is not null;

        /// <summary>Counts a commit made in this turn; whether it is the one after which the WAL should be checkpointed.</summary>
        public bool CountCommit() => queue is not null && Interlocked.Increment(ref queue.Commits) % CheckpointEvery == 0;

        public void Dispose()
        {
            if (queue is not null)
            {
                Beating.Drop(queue, ticket);
                Interlocked.CompareExchange(ref queue.Serving, ticket + 1, ticket);
                queue.signal?.Release(ticket);
            }
        }
    }
}
