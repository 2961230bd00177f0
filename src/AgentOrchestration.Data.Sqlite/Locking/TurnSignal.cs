using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace AgentOrchestration.Data.Sqlite.Locking;

/// <summary>
/// How a writer waiting in the <see cref="WriterQueue"/> learns at once that the ticket before it is done, instead of
/// looking every millisecond or so (a timer wait on Linux lasts 1-2 ms, and each turn paid it). Linux only: the holder
/// of every ticket keeps an exclusive open-file-description lock (<c>F_OFD_SETLK</c>) on one byte of the queue file per
/// slot, from taking the ticket until it passes its turn on; the writer behind it blocks on that byte in the kernel
/// (<c>F_OFD_SETLKW</c>, shared) on a thread of its own and wakes when the lock goes: at the hand-over, when the ticket is
/// given up, or when its process dies (the kernel drops a dead process's locks, so SIGKILL wakes the waiter too).
/// <para>
/// Only a hint: the queue's memory still decides whose turn it is, and the waiter looks again after every wake and at
/// least every <see cref="WriterQueue.Recheck"/>, so the skip rules (a dead, hung or leaked holder) run as they did.
/// A holder that holds no lock (an older library version, a lock it could not take) shows as free at once: then the
/// waiter looks every millisecond as before. Byte-range locks are not a queue themselves (every waiter would race for the
/// lock at each release, as they do for SQLite's); here each lock has one waiter, the next ticket, and the tickets stay
/// the order. Open-file-description locks, not classic POSIX ones: those belong to the process, so a waiter would not wait
/// for a holder of its own process and closing any descriptor of the file would drop them all.
/// </para>
/// </summary>
internal sealed partial class TurnSignal : IDisposable
{
    /// <summary>Threads blocked in the kernel at once per queue file; a waiter that finds none free looks by timer instead.</summary>
    private const int MaxSleepers = 8;

    /// <summary>The slots' lock bytes start here, past the queue's memory (a lock may lie beyond the end of a file).</summary>
    private const long LockBase = 1L << 20;

    private const short ReadLock = 0;
    private const short WriteLock = 1;
    private const short Unlock = 2;
    private const int SetLock = 37;
    private const int SetLockWait = 38;
    private const int Interrupted = 4;

    private readonly string path;
    private readonly int slots;
    private readonly SafeFileHandle held;
    private readonly ConcurrentBag<Sleeper> idle = [];
    private int sleepers;

    private TurnSignal(string path, int slots, SafeFileHandle held)
    {
        this.path = path;
        this.slots = slots;
        this.held = held;
    }

    /// <summary>The signal of the queue file at <paramref name="path"/>, or <see langword="null"/> where there is none (not Linux, or no lock support): then waiters look by timer.</summary>
    public static TurnSignal? Open(string path, int slots)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            var signal = new TurnSignal(path, slots, handle);

            // A kernel without open-file-description locks (before 3.15) or a file system without byte-range locks.
            if (!Try(handle, WriteLock, slots) || !Try(handle, Unlock, slots))
            {
                handle.Dispose();
                return null;
            }

            return signal;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or EntryPointNotFoundException or DllNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Locks the slot of <paramref name="ticket"/> for its holder; <see langword="false"/> if it could not (the writer behind then looks by timer).</summary>
    public bool Hold(long ticket)
    {
        // A waiter of the slot's previous lap may hold its shared lock for an instant after it woke.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (Try(held, WriteLock, Slot(ticket)))
            {
                return true;
            }

            Thread.Yield();
        }

        return false;
    }

    /// <summary>Unlocks the slot of <paramref name="ticket"/>, waking the writer waiting for it. Only after the queue's memory shows the turn passed on.</summary>
    public void Release(long ticket) => Try(held, Unlock, Slot(ticket));

    /// <summary>
    /// Waits in the kernel until the slot of <paramref name="ticket"/> is not locked by its holder. The task's result says
    /// whether it was locked (<see langword="false"/>: free at once, its holder holds no lock); <see langword="null"/> when
    /// no thread is free to wait.
    /// </summary>
    public Task<bool>? WaitAsync(long ticket)
    {
        if (!idle.TryTake(out var sleeper))
        {
            if (Interlocked.Increment(ref sleepers) > MaxSleepers)
            {
                Interlocked.Decrement(ref sleepers);
                return null;
            }

            try
            {
                sleeper = new Sleeper(this);
            }
            catch (IOException)
            {
                Interlocked.Decrement(ref sleepers);
                return null;
            }
        }

        return sleeper.Wait(Slot(ticket));
    }

    public void Dispose() => held.Dispose();

    private int Slot(long ticket) => (int)(ticket & (slots - 1));

    private static bool Try(SafeFileHandle handle, short type, int slot)
    {
        var region = new Region { Type = type, Start = LockBase + slot, Length = 1 };
        while (true)
        {
            if (Fcntl(handle, SetLock, ref region) == 0)
            {
                return true;
            }

            if (Marshal.GetLastPInvokeError() != Interrupted)
            {
                return false;
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(SafeFileHandle handle, int command, ref Region region);

    /// <summary>Linux's <c>struct flock</c> (the same on x64 and arm64); the process id stays 0 for open-file-description locks.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Region
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Length;
        public int Process;
    }

    /// <summary>A thread with a descriptor of its own (its own open file description, so its locks are not the holder's), blocking for one wait at a time.</summary>
    private sealed class Sleeper
    {
        private readonly TurnSignal signal;
        private readonly SafeFileHandle handle;
        private readonly object requests = new();
        private bool requested;
        private int slot;
        private TaskCompletionSource<bool> done = new();

        public Sleeper(TurnSignal signal)
        {
            this.signal = signal;
            handle = File.OpenHandle(signal.path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            new Thread(Run) { IsBackground = true, Name = "AgentOrchestration SQLite writer queue wait" }.Start();
        }

        public Task<bool> Wait(int slotToWaitFor)
        {
            slot = slotToWaitFor;

            // Continued on the thread pool: the writer's transaction must not run on (and hold) this thread.
            done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            var task = done.Task;
            lock (requests)
            {
                requested = true;
                Monitor.Pulse(requests);
            }

            return task;
        }

        private void Run()
        {
            while (true)
            {
                lock (requests)
                {
                    while (!requested)
                    {
                        Monitor.Wait(requests);
                    }

                    requested = false;
                }

                var waiting = done;
                var locked = !Try(handle, ReadLock, slot) && Block(slot);

                Try(handle, Unlock, slot);
                signal.idle.Add(this);
                waiting.TrySetResult(locked);
            }
        }

        /// <summary>Blocks until the slot's holder unlocks it; <see langword="false"/> if the kernel refused to wait (then the waiter looks by timer rather than waking again at once).</summary>
        private bool Block(int slotToWaitFor)
        {
            var region = new Region { Type = ReadLock, Start = LockBase + slotToWaitFor, Length = 1 };
            while (Fcntl(handle, SetLockWait, ref region) != 0)
            {
                if (Marshal.GetLastPInvokeError() != Interrupted)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
