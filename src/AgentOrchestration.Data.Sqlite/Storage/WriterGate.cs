using System.Data;
using AgentOrchestration.Data.Sqlite.Connections;
using AgentOrchestration.Data.Sqlite.Locking;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace AgentOrchestration.Data.Sqlite.Storage;

/// <summary>
/// The writers of this process on one database file: they queue here asynchronously (oldest first), so only one of
/// them at a time waits on SQLite's lock. While writers queue behind the one holding the gate, the library's plain
/// statements run on one connection the gate keeps (<see cref="Writer"/>) rather than on each context's own: in WAL mode
/// SQLite empties a connection's page cache whenever another connection wrote since its last transaction, so writers
/// taking turns on their own connections reread the pages of the claim's indexes at every transaction (about a hundred
/// page-cache misses each, against one or two on a connection that alone writes), and the statements the kept
/// connection compiled serve every writer. It is opened only while the gate is held and closed (returned to
/// Microsoft.Data.Sqlite's pool) by the holder that finds nobody queued behind it, so it never outlives the writers
/// using it.
/// <para>
/// The gate also hands the cross-process turn (<see cref="WriterQueue"/>) from one of its holders to the next: a holder
/// whose transaction has ended while another writer of this process queues here leaves its turn, still held and still
/// beating, for that writer (<see cref="EndTurn"/>), instead of passing it to the next process, which would wake and
/// reread the pages this process changed. At most <see cref="TransactionsPerTurn"/> transactions, and none begun after
/// <see cref="TurnBudget"/>, run in one turn, so the other processes still take turns first come, first served. A left
/// turn is only ever held by the gate, and every holder leaves through <see cref="Leave"/>, which gives it back to the
/// queue at once if no writer of this process got the gate to take it (one cancelled while queued, or none left).
/// </para>
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A gate lives as long as the process (one per database file), as its semaphore did before; the kept connection is closed by its holders.")]
internal sealed class WriterGate
{
    /// <summary>sqlite3_db_status's count of pages read into the page cache because they were not in it.</summary>
    private const int CacheMissStatus = 8;

    /// <summary>
    /// Write transactions one cross-process turn carries at most: two writers of a process each write once. Measured
    /// (the benchmark's contention scenario, 4 and 8 processes × 2 workers), 2, 4 and 8 gave about the same throughput,
    /// and the claim p99 grew with the bound (4 processes: 29, 59, 51 ms; 8: 67, 115, 149 ms).
    /// </summary>
    internal const int TransactionsPerTurn = 2;

    /// <summary>How long after a turn came a transaction may still begin in it (a slow transaction ends the run of them early).</summary>
    internal static readonly TimeSpan TurnBudget = TimeSpan.FromMilliseconds(10);

    private static long handOvers;

    private readonly SemaphoreSlim semaphore = new(1, 1);
    private readonly long turnBudget;
    private int waiting;

    /// <summary>The turn a holder left for the next one (default: none); only touched while the gate is held.</summary>
    private WriterQueue.Turn left;

    /// <summary>Whether <see cref="left"/> holds a turn, for <see cref="Leave"/> to read after it released the gate.</summary>
    private volatile bool hasLeft;
    private int turnTransactions;
    private long turnSince;
    private int longestTurn;
    private SqliteConnection? writer;
    private string? writerKey;
    private long writerMissesAtOpen;
    private long closedMisses;
    private long writerTransactions;

    /// <summary>Gets whether another writer of this process waits for the gate (read by its holder).</summary>
    public bool OthersWaiting => Volatile.Read(ref waiting) > 0;

    /// <summary>Gets whether the kept connection is open (read by the gate's holder).</summary>
    public bool HasWriter => writer is not null;

    /// <summary>Initializes a new instance of the <see cref="WriterGate"/> class.</summary>
    /// <param name="turnBudget"><see cref="TurnBudget"/> unless a test needs its turns to outlast a slow step of its own.</param>
    public WriterGate(TimeSpan? turnBudget = null) => this.turnBudget = (long)(turnBudget ?? TurnBudget).TotalMilliseconds;

    /// <summary>Gets how many times a holder of any gate of this process took the turn the holder before it left (for tests).</summary>
    internal static long HandOvers => Interlocked.Read(ref handOvers);

    /// <summary>Gets the most write transactions one cross-process turn carried through this gate (for tests).</summary>
    internal int LongestTurn => Volatile.Read(ref longestTurn);

    /// <summary>Gets whether a turn left by a holder waits in the gate for the next one (for tests).</summary>
    internal bool HasLeftTurn => hasLeft;

    /// <summary>Gets how many write transactions ran on the kept connection (for tests).</summary>
    internal long WriterTransactions => Interlocked.Read(ref writerTransactions);

    /// <summary>Gets whether the gate holds a kept connection open now (for tests).</summary>
    internal bool KeepsConnection
    {
        get
        {
            semaphore.Wait();
            try
            {
                return writer is not null;
            }
            finally
            {
                Leave();
            }
        }
    }

    /// <summary>Gets the page-cache misses of the kept connection since this gate began (for tests and measurement).</summary>
    internal long WriterCacheMisses
    {
        get
        {
            semaphore.Wait();
            try
            {
                return closedMisses + (writer?.Handle is { } handle ? Misses(handle) - writerMissesAtOpen : 0);
            }
            finally
            {
                Leave();
            }
        }
    }

    /// <summary>Waits for the gate; the caller <see cref="Leave"/>s it once its write transaction has ended.</summary>
    public async Task EnterAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref waiting);
        try
        {
            await semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref waiting);
        }
    }

    /// <summary>
    /// By the holder, last before <c>BEGIN</c>: the turn the holder before it left (<see cref="EndTurn"/>), or a new one
    /// from <paramref name="queue"/>.
    /// </summary>
    public ValueTask<WriterQueue.Turn> TurnAsync(WriterQueue queue, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!hasLeft)
        {
            return EnterAsync(queue, cancellationToken);
        }

        var turn = left;
        (left, hasLeft) = (default, false);
        turnTransactions++;
        longestTurn = Math.Max(longestTurn, turnTransactions);
        Interlocked.Increment(ref handOvers);
        return ValueTask.FromResult(turn);
    }

    /// <summary>
    /// By the holder, once its transaction has ended (SQLite's lock is free): leaves <paramref name="turn"/> for the
    /// writer of this process queued behind it, within the bound, or passes it on to the next process.
    /// </summary>
    public void EndTurn(WriterQueue.Turn turn)
    {
        if (turn.IsHeld && OthersWaiting && turnTransactions < TransactionsPerTurn && Environment.TickCount64 - turnSince < turnBudget)
        {
            (left, hasLeft) = (turn, true);
            return;
        }

        turn.Dispose();
    }

    /// <summary>
    /// By the holder, last (whether its transaction ran or it failed before): lets the next writer of this process in.
    /// A turn left in the gate that no writer took with it goes back to the queue now, not when the other processes'
    /// writers would give up on it (a second with no beat, and it beats): a writer queued here may have been cancelled
    /// since it was counted, or the holder left without taking it.
    /// </summary>
    public void Leave()
    {
        semaphore.Release();

        // The gate is free with a turn in it only if no writer was queued to take the gate over: take it back, give the
        // turn up. If another writer holds the gate, it leaves through here too, and looks again.
        if (hasLeft && semaphore.Wait(0))
        {
            if (hasLeft)
            {
                var turn = left;
                (left, hasLeft) = (default, false);
                turn.Dispose();
            }

            semaphore.Release();
        }
    }

    /// <summary>
    /// The kept connection for <paramref name="connectionString"/>, set up as <paramref name="like"/> (the context's own
    /// connection, open and set up) is; only while the gate is held. <see langword="null"/> when it cannot be opened the
    /// same way: then the caller writes on its own connection, as without the kept one.
    /// </summary>
    public SqliteConnection? Writer(string connectionString, SqliteConnection like)
    {
        if (SqliteConnectionSetup.SynchronousOf(like) is not { } synchronous)
        {
            return null;
        }

        var key = string.Concat(connectionString, "\n", synchronous.ToString());
        if (writer is not null && string.Equals(writerKey, key, StringComparison.Ordinal))
        {
            return writer;
        }

        CloseWriter();
        var opened = new SqliteConnection(connectionString);
        try
        {
            opened.Open();
            SqliteConnectionSetup.Ensure(opened, synchronous);
            if (!SameSetup(opened, like))
            {
                opened.Dispose();
                return null;
            }
        }
        catch
        {
            opened.Dispose();
            throw;
        }

        writer = opened;
        writerKey = key;
        writerMissesAtOpen = Misses(opened.Handle!);
        return opened;
    }

    /// <summary>Counts a write transaction begun on the kept connection.</summary>
    public void CountWriterTransaction() => Interlocked.Increment(ref writerTransactions);

    /// <summary>By the holder, after its transaction: the kept connection is closed when nobody waits to use it.</summary>
    public void CloseWriterIfIdle()
    {
        if (!OthersWaiting)
        {
            CloseWriter();
        }
    }

    /// <summary>By the holder: the kept connection is closed (a failed rollback may have left it in any state).</summary>
    public void CloseWriter()
    {
        if (writer is { } closing)
        {
            writer = null;
            writerKey = null;
            if (closing.Handle is { } handle)
            {
                closedMisses += Misses(handle) - writerMissesAtOpen;
            }

            closing.Dispose();
        }
    }

    private async ValueTask<WriterQueue.Turn> EnterAsync(WriterQueue queue, CancellationToken cancellationToken)
    {
        var turn = await queue.EnterAsync(cancellationToken).ConfigureAwait(false);
        (turnTransactions, turnSince) = (1, Environment.TickCount64);
        longestTurn = Math.Max(longestTurn, 1);
        return turn;
    }

    private static long Misses(sqlite3 handle) =>
        raw.sqlite3_db_status(handle, CacheMissStatus, out var current, out _, 0) == raw.SQLITE_OK ? current : 0;

    /// <summary>What EF Core or the host may set per connection that the library's statements depend on.</summary>
    private static bool SameSetup(SqliteConnection opened, SqliteConnection like)
    {
        foreach (var pragma in (ReadOnlySpan<string>)["foreign_keys", "synchronous", "busy_timeout", "journal_mode", "recursive_triggers"])
        {
            if (!Equals(Read(opened, pragma), Read(like, pragma)))
            {
                return false;
            }
        }

        return like.State == ConnectionState.Open;
    }

    private static object? Read(SqliteConnection connection, string pragma)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {pragma};";
        return command.ExecuteScalar();
    }
}
