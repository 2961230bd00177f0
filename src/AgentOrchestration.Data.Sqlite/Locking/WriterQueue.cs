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
/// it are done. OS file locks would not do: Linux <c>fcntl</c>/<c>flock</c> wake every waiter on release and the
/// releasing process usually wins the race again, and .NET's <see cref="FileStream.Lock"/> cannot wait at all.
/// <para>
/// The queue only orders writers; SQLite's lock still excludes them, so every way the queue can fail degrades to
/// SQLite's unfair waiting, never to two writers at once. A ticket whose process died (killed inside its transaction,
/// or while queued) is skipped as soon as a waiter sees the process is gone; a ticket taken but never filled in, or
/// a turn held longer than <see cref="StallLimit"/> (a process in another PID namespace, a reused PID, a long
/// transaction), is skipped after a bound, and the skipped writer then waits on SQLite's lock as before. Processes
/// that do not use the queue (other tools, migrations) also just wait on SQLite's lock.
/// </para>
/// </summary>
internal sealed class WriterQueue : IDisposable
{
    /// <summary>How long a turn may be held, or a ticket stay unfilled, before the next writer stops waiting for it.</summary>
    internal static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(1);

    /// <summary>One slot per ticket modulo this: more than this many processes waiting at once share slots (and degrade).</summary>
    private const int Slots = 256;
    private const int NextOffset = 0;
    private const int ServingOffset = 64;
    private const int SlotsOffset = 128;
    private const int SlotSize = 16;
    private const int Size = SlotsOffset + (Slots * SlotSize);

    /// <summary>The slot's owner gave its ticket up (cancelled while queued): skip it at once.</summary>
    private const long Abandoned = 0;

    private static readonly ConcurrentDictionary<string, Lazy<WriterQueue?>> Queues = new(StringComparer.Ordinal);
    private static readonly long ProcessId = Environment.ProcessId;

    private readonly MemoryMappedFile file;
    private readonly MemoryMappedViewAccessor view;
    private readonly nint memory;

    private unsafe WriterQueue(MemoryMappedFile file, MemoryMappedViewAccessor view)
    {
        this.file = file;
        this.view = view;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        memory = (nint)(pointer + view.PointerOffset);
    }

    /// <summary>The queue of the database file at <paramref name="databasePath"/>, or <see langword="null"/> when no queue file can be shared there (then writers wait on SQLite's lock alone).</summary>
    public static WriterQueue? For(string databasePath) =>
        Queues.GetOrAdd(databasePath, static path => new Lazy<WriterQueue?>(() => Open(path + "-writers"))).Value;

    /// <summary>Waits for this process's turn; dispose the result when the write transaction has ended.</summary>
    public async ValueTask<Turn> EnterAsync(CancellationToken cancellationToken)
    {
        var ticket = Interlocked.Increment(ref Next) - 1;
        Volatile.Write(ref OwnerOf(ticket), ProcessId);
        Volatile.Write(ref SlotOf(ticket), ticket);
        var head = long.MinValue;
        var headSince = 0L;
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

                if (serving != head)
                {
                    head = serving;
                    headSince = Environment.TickCount64;
                }
                else if (ShouldSkip(serving, Environment.TickCount64 - headSince))
                {
                    Interlocked.CompareExchange(ref Serving, serving + 1, serving);
                    continue;
                }

                // The next in line looks often so the hand-over is quick; the rest of the queue needs less.
                await Task.Delay(ticket - serving <= 2 ? 1 : 4, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            // Cancelled in the queue: the writers behind skip this ticket, or it is passed on now if it was already ours.
            Volatile.Write(ref OwnerOf(ticket), Abandoned);
            Interlocked.CompareExchange(ref Serving, ticket + 1, ticket);
            throw;
        }
    }

    public void Dispose()
    {
        view.SafeMemoryMappedViewHandle.ReleasePointer();
        view.Dispose();
        file.Dispose();
    }

    private static WriterQueue? Open(string path)
    {
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            try
            {
                // A new file grows to its size with zeros: ticket 0 is next and is being served, an empty queue.
                var file = MemoryMappedFile.CreateFromFile(stream, null, Size, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
                return new WriterQueue(file, file.CreateViewAccessor(0, Size, MemoryMappedFileAccess.ReadWrite));
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

    /// <summary>Whether the ticket being served has no live writer behind it (or has had its turn for too long).</summary>
    private bool ShouldSkip(long serving, long stalledMilliseconds)
    {
        if (stalledMilliseconds >= StallLimit.TotalMilliseconds)
        {
            return true;
        }

        // Looking up a process costs a system call: not at every poll, only once the turn has not moved for a moment.
        if (stalledMilliseconds < 20)
        {
            return false;
        }

        var owner = Volatile.Read(ref OwnerOf(serving));
        return Volatile.Read(ref SlotOf(serving)) == serving && (owner == Abandoned || !IsRunning(owner));
    }

    private unsafe ref long Next => ref Unsafe.AsRef<long>((byte*)memory + NextOffset);

    private unsafe ref long Serving => ref Unsafe.AsRef<long>((byte*)memory + ServingOffset);

    /// <summary>The slot of a ticket: the ticket number, written last, so a slot showing it is filled in.</summary>
    private unsafe ref long SlotOf(long ticket) => ref Unsafe.AsRef<long>((byte*)memory + SlotsOffset + ((ticket & (Slots - 1)) * SlotSize));

    /// <summary>The process id that holds a ticket (<see cref="Abandoned"/> once given up).</summary>
    private unsafe ref long OwnerOf(long ticket) => ref Unsafe.AsRef<long>((byte*)memory + SlotsOffset + ((ticket & (Slots - 1)) * SlotSize) + sizeof(long));

    /// <summary>A writer's turn: disposing it lets the next ticket in (unless it was skipped meanwhile).</summary>
    internal readonly struct Turn(WriterQueue? queue, long ticket) : IDisposable
    {
        public void Dispose()
        {
            if (queue is not null)
            {
                Interlocked.CompareExchange(ref queue.Serving, ticket + 1, ticket);
            }
        }
    }
}
