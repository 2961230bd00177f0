using System.Data.Common;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AgentOrchestration.Data.Tests.Claims;

/// <summary>
/// A host's own context (embedded mode, registered as docs/embedding.md says) runs the claim and completion statements
/// it prepared again, as the turnkey context does: SQLite compiles them once per context lease rather than at every
/// call (compiling the claim costs more than running it), PostgreSQL prepares the batches once per physical connection
/// even though the host's connection string leaves automatic preparation off.
/// </summary>
public sealed class EmbeddedStatementTests(DatabaseProvider provider) : ClaimFixture(provider, agentLimit: 20)
{
    /// <summary>SQLite's <c>SQLITE_STMTSTATUS_RUN</c>: how many times a compiled statement ran (step … reset).</summary>
    private const int StatementRuns = 6;

    [Test]
    public async Task A_host_context_runs_the_claim_and_completion_statements_it_prepared_again()
    {
        var items = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            items.Add((await AddItemAsync(priority: 1 + i)).Id);
        }

        await using var host = HostServices();
        if (Provider == DatabaseProvider.Sqlite)
        {
            await SqliteAsync(host);
        }
        else
        {
            await PostgreSqlAsync(host);
        }

        await using var check = CreateContext();
        var done = await check.WorkItems.Where(w => items.Contains(w.Id) && w.DelegationStatus == Entities.DelegationStatus.Completed).Select(w => w.Id).ToListAsync();
        Assert.That(done, Is.EquivalentTo(items.Take(2)), "each call claimed and completed its own item, in claim order");
    }

    [Test]
    public async Task A_connection_the_host_passed_in_is_left_closed_after_the_library_wrote_through_it()
    {
        await AddItemAsync(priority: 1);
        await using DbConnection connection = Provider == DatabaseProvider.Sqlite
            ? new SqliteConnection(Database.ConnectionString)
            : new NpgsqlConnection(Database.ConnectionString);
        var services = new ServiceCollection();
        services.AddDbContext<HostContext>(o =>
        {
            if (Provider == DatabaseProvider.Sqlite)
            {
                o.UseSqlite(connection);
            }
            else
            {
                o.UseNpgsql(connection);
            }
        });
        services.AddAgentOrchestration(o => o.UseDbContext<HostContext>().UseClock(Clock).ConfigureQa(p => p.RequireNone()));
        await using var host = services.BuildServiceProvider();
        await using var scope = host.CreateAsyncScope();

        // The host's own connection: the library opens it for its write and leaves it as it found it, even though its
        // compiled statements go with it; only a connection the context owns stays open until the context is done.
        await ClaimAndCompleteAsync(scope.ServiceProvider.GetRequiredService<IWorkClaimer>());
        Assert.That(connection.State, Is.EqualTo(System.Data.ConnectionState.Closed));
    }

    private async Task SqliteAsync(ServiceProvider host)
    {
        // The one physical connection the host's context will be handed by Microsoft.Data.Sqlite's pool, with SQLite's
        // list of its live statements switched on (statements compiled from now on are listed).
        SqliteConnection.ClearAllPools();
        SQLitePCL.sqlite3 handle;
        await using (var probe = new SqliteConnection(Database.ConnectionString))
        {
            await probe.OpenAsync();
            handle = probe.Handle!;
            handle.enable_sqlite3_next_stmt(true);
        }

        await using var scope = host.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HostContext>();
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();

        await ClaimAndCompleteAsync(claimer);
        var afterFirst = LiveStatements(handle);
        await ClaimAndCompleteAsync(claimer);
        var afterSecond = LiveStatements(handle);

        // Finalized when the connection closed after each call, every statement would be compiled again at the next.
        Assert.Multiple(() =>
        {
            Assert.That(afterFirst.Values.Count(s => IsClaim(s.Sql)), Is.EqualTo(1), "the claim's statement is still compiled after the first call");
            Assert.That(afterFirst.Values.Count(s => IsCompletion(s.Sql)), Is.GreaterThanOrEqualTo(1), "so are the completion's");
            Assert.That(afterSecond.Keys, Is.EquivalentTo(afterFirst.Keys), "the second call compiled no statement of its own");
            Assert.That(afterSecond.Values.Where(s => IsClaim(s.Sql) || IsCompletion(s.Sql)).Select(s => s.Runs), Is.All.EqualTo(2),
                "each claim and completion statement ran once per call, compiled once");
        });
        Assert.That(((SqliteConnection)db.Database.GetDbConnection()).Handle, Is.SameAs(handle), "the host's context ran on the connection watched");
    }

    private async Task PostgreSqlAsync(ServiceProvider host)
    {
        // Separate scopes: a pooled context leased again, as a host with a scope per operation has it.
        for (var call = 0; call < 2; call++)
        {
            await using var scope = host.CreateAsyncScope();
            await ClaimAndCompleteAsync(scope.ServiceProvider.GetRequiredService<IWorkClaimer>());
        }

        await using var last = host.CreateAsyncScope();
        var db = last.ServiceProvider.GetRequiredService<HostContext>();
        await db.Database.OpenConnectionAsync();
        var connection = db.Database.GetDbConnection();
        var claimRuns = await PreparedRunsAsync(connection, "%INSERT INTO orchestration_events%work_item.claimed%");
        var completeRuns = await PreparedRunsAsync(connection, "%work_item.completed%");
        await db.Database.CloseConnectionAsync();

        // One physical connection served the calls (one caller at a time, a pool of the host's own connection string).
        Assert.Multiple(() =>
        {
            Assert.That(claimRuns, Is.EqualTo(2), "both claims ran the claim batch prepared on the connection");
            Assert.That(completeRuns, Is.EqualTo(2), "both completions ran the completion batch prepared on the connection");
        });
    }

    private async Task ClaimAndCompleteAsync(IWorkClaimer claimer)
    {
        var claimed = await claimer.ClaimNextAsync(Agent.Id, Project.Id);
        Assert.That(claimed, Is.Not.Null);
        await claimer.CompleteAsync(claimed!.Lease);
    }

    /// <summary>The host's registration as docs/embedding.md writes it: its own pooled context on the provider's plain options.</summary>
    private ServiceProvider HostServices()
    {
        var services = new ServiceCollection();
        services.AddDbContextPool<HostContext>(o =>
        {
            if (Provider == DatabaseProvider.Sqlite)
            {
                o.UseSqlite(Database.ConnectionString);
            }
            else
            {
                o.UseNpgsql(Database.ConnectionString);
            }
        });
        services.AddAgentOrchestration(o => o.UseDbContext<HostContext>().UseClock(Clock).ConfigureQa(p => p.RequireNone()));
        return services.BuildServiceProvider();
    }

    private static bool IsClaim(string sql) => sql.Contains("RETURNING", StringComparison.Ordinal) && sql.Contains("json_extract(@ids", StringComparison.Ordinal);

    private static bool IsCompletion(string sql) => sql.Contains("json_each(@leases)", StringComparison.Ordinal);

    /// <summary>The handle's live statements by address: their text and how many times each ran.</summary>
    private static Dictionary<nint, (string Sql, int Runs)> LiveStatements(SQLitePCL.sqlite3 handle)
    {
        var live = new Dictionary<nint, (string, int)>();
        for (var statement = SQLitePCL.raw.sqlite3_next_stmt(handle, null); statement is not null && !statement.IsInvalid; statement = SQLitePCL.raw.sqlite3_next_stmt(handle, statement))
        {
            live[statement.DangerousGetHandle()] = (SQLitePCL.raw.sqlite3_sql(statement).utf8_to_string(), SQLitePCL.raw.sqlite3_stmt_status(statement, StatementRuns, 0));
        }

        return live;
    }

    /// <summary>How often the statement prepared on the connection whose text is <c>LIKE</c> <paramref name="pattern"/> ran (its generic and custom plans).</summary>
    private static async Task<long> PreparedRunsAsync(DbConnection connection, string pattern)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT coalesce(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements WHERE statement LIKE '{pattern}'";
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A host's own context: its own table beside the library's.</summary>
    public sealed class HostContext(DbContextOptions<HostContext> options) : DbContext(options)
    {
        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            modelBuilder.Entity<HostNote>().ToTable("host_notes");
            modelBuilder.ApplyAgentOrchestration();
        }
    }

    public sealed class HostNote
    {
        public int Id { get; set; }

        public string Text { get; set; } = null!;
    }
}
