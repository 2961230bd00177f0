using System.Data.Common;
using System.Globalization;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Migrations;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Sample.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>
/// The child side of the crash tests: a worker that does committed work, then starts one more operation and stops
/// inside it, at its commit, announcing <c>stopped committed|uncommitted</c> on its output so the parent can SIGKILL it there.
/// <c>crash PROVIDER CONNECTION NOW claim|lock|complete PROJECT AGENT</c>: starts a session, claims one item, locks
/// <see cref="HeldPath"/> (printing <c>session ID</c>, <c>lease ITEM ASSIGNMENT TOKEN</c>, <c>locked</c>, <c>ready</c>), waits for <c>go</c>
/// on its input, then claims the next item, locks <see cref="PendingPath"/> or completes its lease. <c>crash PROVIDER CONNECTION NOW migrate N</c>: migrates
/// an empty database and stops in the commit of the N-th migration; <c>... migrate-embedded PREVIOUS</c> migrates the console
/// sample's own context (<see cref="EmbeddedHost"/>) and stops in the first commit of the migration after PREVIOUS.
/// </summary>
public static class CrashChild
{
    public const string HeldPath = "src/held.cs";
    public const string PendingPath = "src/pending.cs";

    public static async Task<int> RunAsync(string[] args)
    {
        var (provider, connection, now, step) = (args[0], args[1], DateTimeOffset.Parse(args[2], CultureInfo.InvariantCulture), args[3]);
        var hook = new CommitHook();
        if (step == "migrate-embedded")
        {
            await using var host = EmbeddedHost(provider, connection, new MigrationCommitHook(args[4]));
            await host.Database.MigrateAsync();
            Console.WriteLine("migrated");
            return 0;
        }

        await using var services = Services(provider, connection, new FakeTimeProvider(now), hook);
        await using var scope = services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        if (step == "migrate")
        {
            hook.Arm(int.Parse(args[4], CultureInfo.InvariantCulture));
            await sp.GetRequiredService<IAgentOrchestrationMigrator>().MigrateAsync();
            Console.WriteLine("migrated");
            return 0;
        }

        var (project, agent) = (Guid.Parse(args[4]), Guid.Parse(args[5]));
        var session = await sp.GetRequiredService<ISessionService>().StartAsync(new SessionStart(project, SessionAgentType.Implementation) { AgentId = agent });
        Say($"session {session.SessionId}");
        var claimer = sp.GetRequiredService<IWorkClaimer>();
        var claimed = await claimer.ClaimNextAsync(agent, project, new ClaimOptions { SessionId = session.SessionId, LeaseDuration = TimeSpan.FromMinutes(5) })
            ?? throw new InvalidOperationException("Nothing to claim.");
        Say(string.Create(CultureInfo.InvariantCulture, $"lease {claimed.Lease.WorkItemId} {claimed.Lease.AssignmentId} {claimed.Lease.FencingToken}"));
        var locks = sp.GetRequiredService<IFileLockService>();
        await locks.AcquireAsync(session.SessionId, [HeldPath], FileLockType.Exclusive, TimeSpan.FromMinutes(30));
        Say("locked");

        // The parent may set a trap first (hold a lock the operation will wait for), then lets the operation start.
        Say("ready");
        if (await Console.In.ReadLineAsync() != "go")
        {
            return 1;
        }

        hook.Arm(1);
        switch (step)
        {
            case "claim":
                var next = await claimer.ClaimNextAsync(agent, project, new ClaimOptions { SessionId = session.SessionId });
                Say($"claimed {next?.Lease.WorkItemId}");
                break;
            case "lock":
                await locks.AcquireAsync(session.SessionId, [PendingPath], FileLockType.Exclusive, TimeSpan.FromMinutes(5));
                break;
            case "complete":
                await claimer.CompleteAsync(claimed.Lease);
                break;
            default:
                await Console.Error.WriteLineAsync($"Unknown crash step '{step}'.");
                return 2;
        }

        Say("finished");
        return 0;
    }

    /// <summary>The library on the given database, turnkey but with <paramref name="interceptor"/> on its context; QA does not gate completion.</summary>
    public static ServiceProvider Services(string provider, string connection, TimeProvider clock, IInterceptor? interceptor = null)
    {
        var collection = new ServiceCollection();
        collection.AddDbContext<AgentOrchestrationDbContext>(options =>
        {
            if (provider == "sqlite")
            {
                options.UseAgentOrchestrationSqlite(connection);
            }
            else
            {
                options.UseAgentOrchestrationPostgreSql(connection);
            }

            if (interceptor is not null)
            {
                options.AddInterceptors(interceptor);
            }
        });
        collection.AddAgentOrchestration(o => o.UseDbContext<AgentOrchestrationDbContext>().UseClock(clock).ConfigureQa(p => p.RequireNone()));
        return collection.BuildServiceProvider();
    }

    /// <summary>
    /// The console sample's own context (the library's model embedded beside the host's entity, with the host's
    /// migrations), configured as docs/embedding.md tells a host to; <paramref name="interceptor"/> on it.
    /// </summary>
    public static SampleDbContext EmbeddedHost(string provider, string connection, IInterceptor? interceptor = null)
    {
        if (provider == "sqlite")
        {
            var sqlite = new DbContextOptionsBuilder<SqliteSampleDbContext>().UseSqlite(connection, s => s.UseCrashSafeMigrations());
            return new SqliteSampleDbContext((interceptor is null ? sqlite : sqlite.AddInterceptors(interceptor)).Options);
        }

        var postgres = new DbContextOptionsBuilder<PostgreSqlSampleDbContext>().UseNpgsql(connection);
        return new PostgreSqlSampleDbContext((interceptor is null ? postgres : postgres.AddInterceptors(interceptor)).Options);
    }

    private static void Say(string line)
    {
        Console.WriteLine(line);
        Console.Out.Flush();
    }

    /// <summary>
    /// Once armed, stops the N-th commit from then on for good, after announcing it: the process is to be killed there.
    /// A commit is a transaction's (<c>stopped uncommitted</c>: its writes are not yet durable) or, for a statement that
    /// writes outside any transaction (PostgreSQL's one-statement claim), the statement's own once it returned
    /// (<c>stopped committed</c>: the write landed but the caller never hears of it).
    /// </summary>
    private sealed class CommitHook : IDbTransactionInterceptor, IDbCommandInterceptor
    {
        private int remaining;

        public void Arm(int commit) => Volatile.Write(ref remaining, commit);

        public async ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
        {
            await StopIfDueAsync("uncommitted");
            return result;
        }

        public InterceptionResult TransactionCommitting(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result)
        {
            StopIfDueAsync("uncommitted").GetAwaiter().GetResult();
            return result;
        }

        public async ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
        {
            if (command.Transaction is null && command.CommandText.Contains("INSERT INTO", StringComparison.Ordinal))
            {
                await StopIfDueAsync("committed");
            }

            return result;
        }

        private async Task StopIfDueAsync(string state)
        {
            if (Volatile.Read(ref remaining) > 0 && Interlocked.Decrement(ref remaining) == 0)
            {
                Say($"stopped {state}");
                await Task.Delay(Timeout.Infinite, CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// Once the migration <paramref name="previousMigrationId"/> is recorded and committed, stops the next commit, the
    /// first of the following migration, after announcing it: the whole migration when it runs in one transaction, its
    /// first part when EF Core splits it around a table rebuild.
    /// </summary>
    private sealed class MigrationCommitHook(string previousMigrationId) : DbCommandInterceptor, IDbTransactionInterceptor
    {
        private bool previousRecorded;
        private bool previousCommitted;

        public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
        {
            if (command.CommandText.Contains(previousMigrationId, StringComparison.Ordinal))
            {
                previousRecorded = true;
                previousCommitted = command.Transaction is null;
            }

            return result;
        }

        public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(NonQueryExecuted(command, eventData, result));

        public InterceptionResult TransactionCommitting(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result)
        {
            if (previousCommitted)
            {
                Say("stopped uncommitted");
                Thread.Sleep(Timeout.Infinite);
            }

            previousCommitted = previousRecorded;
            return result;
        }

        public ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(TransactionCommitting(transaction, eventData, result));
    }
}
