using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>
/// Breaks the library's database connection at a chosen point. PostgreSQL: the connection's backend is really
/// terminated (<c>pg_terminate_backend</c>) from another connection, so the library meets the server's own error.
/// SQLite (one file, no server to lose): the command fails with a real SQLite result code, <c>SQLITE_IOERR</c>.
/// "After commit" faults let the commit land first and then report the fault, the way a reply lost on the way back does.
/// </summary>
public sealed class ConnectionFaults(DatabaseProvider provider, string adminConnectionString) : IDbCommandInterceptor, IDbTransactionInterceptor, IDbConnectionInterceptor
{
    private const int SqliteIoError = 10;

    private Func<string, bool>? beforeCommand;
    private int beforeCommandTimes;
    private int beforeCommitTimes;
    private int afterCommitTimes;
    private int afterCloseTimes;
    private int afterOpenTimes;

    /// <summary>Gets how many faults were injected.</summary>
    public int Injected { get; private set; }

    /// <summary>Gets or sets what runs after each injected fault (a test cancelling its token, for instance).</summary>
    public Action? OnInjected { get; set; }

    /// <summary>Breaks the connection under the next <paramref name="times"/> commands whose text <paramref name="matches"/>, before each is sent.</summary>
    public void BeforeCommand(Func<string, bool> matches, int times = 1)
    {
        beforeCommand = matches;
        beforeCommandTimes = times;
    }

    /// <summary>
    /// SQLite: fails the next <paramref name="times"/> commits before they are sent, so nothing lands (the library's plain
    /// statements on EF Core's connection pass no command interceptor; their transaction's commit does).
    /// </summary>
    public void BeforeCommit(int times = 1) => beforeCommitTimes = times;

    /// <summary>Breaks the connection after the next <paramref name="times"/> commits landed, so the commit call fails although it committed.</summary>
    public void AfterCommit(int times = 1) => afterCommitTimes = times;

    /// <summary>Breaks the connection as the next <paramref name="times"/> connection closes start (after a statement that commits by itself).</summary>
    public void AtClose(int times = 1) => afterCloseTimes = times;

    /// <summary>Breaks the connection right after each of the next <paramref name="times"/> opens, before anything is sent on it.</summary>
    public void AfterOpen(int times = 1) => afterOpenTimes = times;

    public async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        await BeforeAsync(command).ConfigureAwait(false);
        return result;
    }

    public async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        await BeforeAsync(command).ConfigureAwait(false);
        return result;
    }

    public async ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        await BeforeAsync(command).ConfigureAwait(false);
        return result;
    }

    public ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
    {
        if (beforeCommitTimes > 0 && provider == DatabaseProvider.Sqlite)
        {
            beforeCommitTimes--;
            Injected++;
            OnInjected?.Invoke();
            throw new SqliteException("disk I/O error", SqliteIoError);
        }

        return ValueTask.FromResult(result);
    }

    public async Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (afterCommitTimes > 0)
        {
            afterCommitTimes--;
            await FailAfterLandingAsync(eventData.Transaction.Connection ?? transaction.Connection!).ConfigureAwait(false);
        }
    }

    public async ValueTask<InterceptionResult> ConnectionClosingAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        if (afterCloseTimes > 0)
        {
            afterCloseTimes--;
            await FailAfterLandingAsync(connection).ConfigureAwait(false);
        }

        return result;
    }

    public async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (afterOpenTimes > 0 && provider == DatabaseProvider.PostgreSql)
        {
            afterOpenTimes--;
            await TerminateAsync((NpgsqlConnection)connection).ConfigureAwait(false);
            Injected++;
            OnInjected?.Invoke();
        }
    }

    private async Task BeforeAsync(DbCommand command)
    {
        if (beforeCommandTimes <= 0 || beforeCommand is not { } matches || !matches(command.CommandText))
        {
            return;
        }

        beforeCommandTimes--;
        Injected++;
        if (provider == DatabaseProvider.PostgreSql)
        {
            // The command itself then meets the terminated backend.
            await TerminateAsync((NpgsqlConnection)command.Connection!).ConfigureAwait(false);
            OnInjected?.Invoke();
            return;
        }

        OnInjected?.Invoke();
        throw new SqliteException("disk I/O error", SqliteIoError);
    }

    /// <summary>The commit already landed: the fault the caller sees is the real one of the now broken connection.</summary>
    private async Task FailAfterLandingAsync(DbConnection connection)
    {
        Injected++;
        OnInjected?.Invoke();
        if (provider == DatabaseProvider.Sqlite)
        {
            throw new SqliteException("disk I/O error", SqliteIoError);
        }

        var npgsql = (NpgsqlConnection)connection;
        await TerminateAsync(npgsql).ConfigureAwait(false);
        await using var probe = new NpgsqlCommand("SELECT 1", npgsql);
        await probe.ExecuteScalarAsync().ConfigureAwait(false);
        throw new InvalidOperationException("The terminated backend still answered.");
    }

    private async Task TerminateAsync(NpgsqlConnection victim)
    {
        var pid = victim.ProcessID;
        await using var admin = new NpgsqlConnection(adminConnectionString);
        await admin.OpenAsync().ConfigureAwait(false);
        await using (var kill = new NpgsqlCommand("SELECT pg_terminate_backend(@pid)", admin))
        {
            kill.Parameters.AddWithValue("pid", pid);
            await kill.ExecuteScalarAsync().ConfigureAwait(false);
        }

        // pg_terminate_backend only signals: wait until the backend is gone, so the next command surely meets it dead.
        for (var i = 0; i < 500; i++)
        {
            await using var alive = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE pid = @pid", admin);
            alive.Parameters.AddWithValue("pid", pid);
            if ((long)(await alive.ExecuteScalarAsync().ConfigureAwait(false))! == 0)
            {
                return;
            }

            await Task.Delay(10).ConfigureAwait(false);
        }

        throw new InvalidOperationException($"The backend {pid} did not exit.");
    }
}
