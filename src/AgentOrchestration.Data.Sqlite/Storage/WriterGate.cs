using System.Data;
using AgentOrchestration.Data.Sqlite.Connections;
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
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A gate lives as long as the process (one per database file), as its semaphore did before; the kept connection is closed by its holders.")]
internal sealed class WriterGate
{
    /// <summary>sqlite3_db_status's count of pages read into the page cache because they were not in it.</summary>
    private const int CacheMissStatus = 8;

    private readonly SemaphoreSlim semaphore = new(1, 1);
    private int waiting;
    private SqliteConnection? writer;
    private string? writerKey;
    private long writerMissesAtOpen;
    private long closedMisses;
    private long writerTransactions;

    /// <summary>Gets the semaphore the gate is (released by the transaction that holds it).</summary>
    public SemaphoreSlim Semaphore => semaphore;

    /// <summary>Gets whether another writer of this process waits for the gate (read by its holder).</summary>
    public bool OthersWaiting => Volatile.Read(ref waiting) > 0;

    /// <summary>Gets whether the kept connection is open (read by the gate's holder).</summary>
    public bool HasWriter => writer is not null;

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
                semaphore.Release();
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
                semaphore.Release();
            }
        }
    }

    /// <summary>Waits for the gate; the caller releases <see cref="Semaphore"/> once its write transaction has ended.</summary>
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
