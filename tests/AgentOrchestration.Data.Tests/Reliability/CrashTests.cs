using System.Globalization;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Migrations;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AgentOrchestration.Data.Tests.Reliability;

/// <summary>
/// A worker process killed with SIGKILL inside an operation, just before its commit (it announces the moment, see
/// <see cref="CrashChild"/>): nothing of that operation is left, the database is consistent (and the SQLite file
/// intact), the dead worker's lease and session expire by the shared fake clock, the reaper returns its work and locks,
/// and the dead worker's credentials (lease, fencing token, session) are refused afterwards. An interrupted migration
/// re-runs to completion.
/// </summary>
public sealed class CrashTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private FakeTimeProvider clock = null!;
    private Project project = null!;
    private AgentProfile agent = null!;
    private AgentProfile rival = null!;
    private WorkItem first = null!;
    private WorkItem second = null!;

    private string ProviderName => Provider == DatabaseProvider.Sqlite ? "sqlite" : "postgresql";

    [SetUp]
    public async Task SeedAsync()
    {
        clock = new FakeTimeProvider(Start);
        await using var db = await MigratedContextAsync();
        project = Fakes.Project();
        agent = Fakes.Agent();
        agent.MaxConcurrentTasks = 5;
        rival = Fakes.Agent();
        rival.MaxConcurrentTasks = 5;
        first = Fakes.WorkItem(project);
        first.Priority = 1;
        second = Fakes.WorkItem(project);
        second.Priority = 2;
        db.AddRange(project, agent, rival, first, second);
        await db.SaveChangesAsync();
    }

    [TestCase("claim")]
    [TestCase("lock")]
    [TestCase("complete")]
    public async Task A_worker_killed_inside_an_operation_leaves_nothing_of_it_and_its_work_locks_and_credentials_expire(string step)
    {
        string sessionId;
        WorkLease lease;
        string before;
        bool landed;
        await using (var child = LiveChild.Start("crash", ProviderName, Database.ConnectionString, Start.ToString("O", CultureInfo.InvariantCulture), step, project.Id.ToString(), agent.Id.ToString()))
        {
            sessionId = (await child.WaitForAsync("session ")).Split(' ')[1];
            var parts = (await child.WaitForAsync("lease ")).Split(' ');
            lease = new WorkLease(Guid.Parse(parts[1]), Guid.Parse(parts[2]), long.Parse(parts[3], CultureInfo.InvariantCulture));
            await child.WaitForAsync("ready");
            if (step == "claim" && Provider == DatabaseProvider.PostgreSql)
            {
                // The claim is one statement outside any transaction (no commit to stop at): the test holds the agent's
                // row, the statement waits for it inside the server, and the worker is killed while it waits.
                await using var trap = CreateContext();
                await using var held = await trap.Database.BeginTransactionAsync();
                await trap.Database.ExecuteSqlAsync($"SELECT 1 FROM agent_profiles WHERE id = {agent.Id} FOR UPDATE");
                await child.SendAsync("go");
                await PostgresWaits.UntilBlockedAsync(Database);
                before = await SnapshotAsync();
                await child.KillAsync();
                await held.RollbackAsync();
                await UntilIdleAsync();
            }
            else if (step is "complete" or "lock" && Provider == DatabaseProvider.PostgreSql)
            {
                // The completion and the lock acquisition are one batch committing by itself: the test holds the item's
                // row (the session's, for the lock), the batch waits for it, the worker is killed, and its backend is
                // ended before the row is let go, as a server that noticed the dead client would. (Had the batch run on,
                // the write would have landed whole: a worker dying just after it, the claim case above.)
                await using var trap = CreateContext();
                await using var held = await trap.Database.BeginTransactionAsync();
                if (step == "complete")
                {
                    await trap.Database.ExecuteSqlAsync($"SELECT 1 FROM work_items WHERE id = {first.Id} FOR UPDATE");
                }
                else
                {
                    await trap.Database.ExecuteSqlAsync($"SELECT 1 FROM agent_sessions WHERE session_id = {sessionId} FOR UPDATE");
                }

                await child.SendAsync("go");
                await PostgresWaits.UntilBlockedAsync(Database);
                before = await SnapshotAsync();
                await child.KillAsync();
                await RawSql.ScalarAsync(trap,
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
                await held.RollbackAsync();
                await UntilIdleAsync();
            }
            else
            {
                await child.SendAsync("go");
                await child.WaitForAsync("stopped uncommitted");
                before = await SnapshotAsync();
                await child.KillAsync();
            }
        }

        // The server may finish a statement whose client is gone: then it landed whole, as if the worker died just after.
        await using (var db = CreateContext())
        {
            landed = await db.TaskAssignments.AnyAsync(t => t.WorkItemId == second.Id);
        }

        Assert.That(lease.WorkItemId, Is.EqualTo(first.Id), "the worker held the first item");
        if (!landed)
        {
            Assert.That(await SnapshotAsync(), Is.EqualTo(before), "nothing of the operation in flight was committed by the kill");
        }

        await AssertIntactAsync();
        await using (var db = CreateContext())
        {
            // What the interrupted operation would have written is absent (or all there); what the worker committed before is there.
            Assert.That(landed, Is.False.Or.EqualTo(step == "claim" && Provider == DatabaseProvider.PostgreSql), "only a one-statement claim can land after its client died");
            Assert.That(await db.TaskAssignments.CountAsync(t => t.WorkItemId == second.Id && t.AgentId == agent.Id), Is.EqualTo(landed ? 1 : 0), "assignments of the second item");
            Assert.That(await db.FileLocks.CountAsync(l => l.FilePath == CrashChild.PendingPath), Is.Zero, "no lock on the pending path");
            Assert.That((await db.WorkItems.SingleAsync(w => w.Id == first.Id)).Status, Is.Not.EqualTo(WorkItemStatus.Done), "the first item is not done");
            Assert.That(await db.FileLocks.Where(l => l.LockedBySession == sessionId).Select(l => l.FilePath).ToListAsync(), Is.EqualTo(new[] { CrashChild.HeldPath }));
            Assert.That(await db.TaskAssignments.CountAsync(t => t.WorkItemId == first.Id && t.LeaseExpiresAt > Start), Is.EqualTo(1), "the committed claim holds a live lease");
        }

        await using var services = CrashChild.Services(ProviderName, Database.ConnectionString, clock);

        // Past the lease and the session's silence: the reaper fails the session, frees its lock and returns its work.
        clock.Advance(TimeSpan.FromMinutes(6));
        var reaped = await UseAsync<ISessionReaper, SessionReapResult>(services, r => r.ReapAsync(TimeSpan.FromMinutes(2)));
        Assert.That(reaped.SessionIds, Is.EqualTo(new[] { sessionId }));
        Assert.That(reaped.LocksReleased, Is.EqualTo(1));
        Assert.That(reaped.WorkItemsReturned, Is.EquivalentTo(landed ? new[] { first.Id, second.Id } : new[] { first.Id }));
        await AssertConsistentAsync();

        // The dead worker's late writes, with everything it held, are refused and change nothing.
        var afterReap = await SnapshotAsync();
        var late = new (string Name, Func<IServiceProvider, Task> Write)[]
        {
            ("complete with the old lease", sp => sp.GetRequiredService<IWorkClaimer>().CompleteAsync(lease)),
            ("renew the old lease", sp => sp.GetRequiredService<IWorkClaimer>().RenewAsync(lease)),
            ("release the old lease", sp => sp.GetRequiredService<IWorkClaimer>().ReleaseAsync(lease)),
            ("heartbeat the dead session", sp => sp.GetRequiredService<ISessionService>().HeartbeatAsync(sessionId)),
            ("lock with the dead session", sp => sp.GetRequiredService<IFileLockService>().AcquireAsync(sessionId, [CrashChild.HeldPath], FileLockType.Exclusive, TimeSpan.FromMinutes(5))),
            ("renew the dead session's locks", sp => sp.GetRequiredService<IFileLockService>().RenewAsync(sessionId, TimeSpan.FromMinutes(5))),
        };
        foreach (var (name, write) in late)
        {
            await using var scope = services.CreateAsyncScope();
            Assert.That(() => write(scope.ServiceProvider), Throws.InstanceOf<AgentOrchestrationException>(), name);
        }

        Assert.That(await SnapshotAsync(), Is.EqualTo(afterReap), "the refused late writes wrote nothing");

        // Another worker takes the returned item with a newer fencing token and finishes it, and the one left over.
        var retaken = await UseAsync<IWorkClaimer, ClaimedWork?>(services, c => c.ClaimNextAsync(rival.Id, project.Id));
        Assert.That(retaken!.Lease.WorkItemId, Is.EqualTo(first.Id));
        Assert.That(retaken.Lease.FencingToken, Is.GreaterThan(lease.FencingToken));
        var rest = await UseAsync<IWorkClaimer, ClaimedWork?>(services, c => c.ClaimNextAsync(rival.Id, project.Id));
        Assert.That(rest!.Lease.WorkItemId, Is.EqualTo(second.Id));
        foreach (var work in new[] { retaken, rest })
        {
            await UseAsync<IWorkClaimer, int>(services, async c => { await c.CompleteAsync(work.Lease); return 0; });
        }

        await using var check = CreateContext();
        var done = await check.TaskAssignments.Where(t => t.Status == AssignmentStatus.Completed).Select(t => t.WorkItemId).ToListAsync();
        Assert.That(done, Is.EquivalentTo(new[] { first.Id, second.Id }), "each item completed exactly once");
        await AssertConsistentAsync();
        await AssertIntactAsync();
    }

    [Test]
    public async Task A_migration_killed_inside_a_step_is_rolled_back_and_re_runs_to_completion()
    {
        await using var empty = await TestDatabase.CreateAsync(Provider);
        const int killedStep = 5;
        await using (var child = LiveChild.Start("crash", ProviderName, empty.ConnectionString, Start.ToString("O", CultureInfo.InvariantCulture), "migrate", killedStep.ToString(CultureInfo.InvariantCulture)))
        {
            await child.WaitForAsync("stopped ");
            await child.KillAsync();
        }

        await using var services = CrashChild.Services(ProviderName, empty.ConnectionString, clock);
        await using var scope = services.CreateAsyncScope();
        var migrator = scope.ServiceProvider.GetRequiredService<IAgentOrchestrationMigrator>();
        var shipped = migrator.GetMigrations();
        var applied = await migrator.GetAppliedMigrationsAsync();
        Assert.That(applied, Has.Count.InRange(1, shipped.Count - 1), "killed half-way through the steps");
        Assert.That(applied, Is.EqualTo(shipped.Take(applied.Count).ToList()), "the steps before the killed one are applied, the killed one is not");
        if (Provider == DatabaseProvider.Sqlite)
        {
            await AssertIntactAsync(empty.ConnectionString);
        }

        // Bounded, so a migration lock the dead process left behind fails the test rather than hanging it.
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await migrator.MigrateAsync(bound.Token);
        Assert.That(await migrator.GetPendingMigrationsAsync(), Is.Empty);
        await using var migrated = empty.CreateContext();
        await using var reference = CreateContext();
        Assert.That(await RawSql.TablesAsync(migrated), Is.EqualTo(await RawSql.TablesAsync(reference)), "the same tables as a database migrated in one go");
        Assert.That(SchemaReader.Read(empty).Tables.Select(t => (t.Name, t.Columns.Count, t.Indexes.Count)).OrderBy(t => t.Name),
            Is.EqualTo(SchemaReader.Read(Database).Tables.Select(t => (t.Name, t.Columns.Count, t.Indexes.Count)).OrderBy(t => t.Name)));
    }

    [Test]
    public async Task An_embedded_hosts_migration_killed_inside_its_last_step_is_rolled_back_and_re_runs_to_completion()
    {
        await using var empty = await TestDatabase.CreateAsync(Provider);
        await using var fresh = await TestDatabase.CreateAsync(Provider);
        await using (var reference = CrashChild.EmbeddedHost(ProviderName, fresh.ConnectionString))
        {
            await reference.Database.MigrateAsync();
        }

        // The last step is the one that adds qa_results.project_id with its foreign key: a table rebuild on SQLite,
        // which EF Core alone applies in several transactions around PRAGMA foreign_keys.
        await using var host = CrashChild.EmbeddedHost(ProviderName, empty.ConnectionString);
        var shipped = host.Database.GetMigrations().ToList();
        await using (var child = LiveChild.Start("crash", ProviderName, empty.ConnectionString, Start.ToString("O", CultureInfo.InvariantCulture), "migrate-embedded", shipped[^2]))
        {
            await child.WaitForAsync("stopped ");
            await child.KillAsync();
        }

        var applied = (await host.Database.GetAppliedMigrationsAsync()).ToList();
        Assert.That(applied, Is.EqualTo(shipped.Take(shipped.Count - 1).ToList()), "every step before the killed one applied, the killed one not");
        if (Provider == DatabaseProvider.Sqlite)
        {
            await AssertIntactAsync(empty.ConnectionString);
        }

        // Bounded, so a migration lock the dead process left behind fails the test rather than hanging it.
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await host.Database.MigrateAsync(bound.Token);
        Assert.That(await host.Database.GetPendingMigrationsAsync(), Is.Empty);
        Assert.That(SchemaReader.Read(empty).Tables.Select(t => (t.Name, Columns: string.Join(",", t.Columns.Select(c => c.Name)), t.Indexes.Count, t.ForeignKeys.Count)).OrderBy(t => t.Name),
            Is.EqualTo(SchemaReader.Read(fresh).Tables.Select(t => (t.Name, Columns: string.Join(",", t.Columns.Select(c => c.Name)), t.Indexes.Count, t.ForeignKeys.Count)).OrderBy(t => t.Name)),
            "the same tables, columns, indexes and foreign keys as a database migrated in one go");
    }

    /// <summary>Waits until no other backend of the test database runs a statement (a dead client's statement finishes or is dropped).</summary>
    private async Task UntilIdleAsync()
    {
        await using var probe = CreateContext();
        for (var i = 0; i < 600; i++)
        {
            var busy = Convert.ToInt64(await RawSql.ScalarAsync(probe,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'"), CultureInfo.InvariantCulture);
            if (busy == 0)
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail("A backend of the killed worker still runs a statement after 30 s.");
    }

    private static async Task<T> UseAsync<TService, T>(IServiceProvider services, Func<TService, Task<T>> action)
        where TService : notnull
    {
        await using var scope = services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<TService>());
    }

    private async Task<string> SnapshotAsync()
    {
        await using var db = CreateContext();
        await db.Database.OpenConnectionAsync();
        return await DatabaseSnapshot.TakeAsync(db);
    }

    /// <summary>No lock of a session that is not active, no active assignment whose lease has run out, at most one active assignment per item, and an item without one queued or done.</summary>
    private async Task AssertConsistentAsync()
    {
        await using var db = CreateContext();
        var now = clock.GetUtcNow();
        var live = await db.AgentSessions.Where(s => s.Status == SessionStatus.Active).Select(s => s.SessionId).ToListAsync();
        var locks = await db.FileLocks.Select(l => l.LockedBySession).ToListAsync();
        Assert.That(locks.Where(l => !live.Contains(l)), Is.Empty, "a lock without a live session");
        var assignments = await db.TaskAssignments.AsNoTracking().ToListAsync();
        Assert.That(assignments.Where(a => a.IsActive && a.LeaseExpiresAt is { } expiry && expiry <= now).Select(a => a.Id), Is.Empty, "an active assignment without a live lease");
        var items = await db.WorkItems.AsNoTracking().Where(w => w.ProjectId == project.Id).ToListAsync();
        foreach (var item in items)
        {
            var active = assignments.Where(a => a.WorkItemId == item.Id && a.IsActive).ToList();
            Assert.That(active, Has.Count.LessThanOrEqualTo(1), $"{item.Id}: one active assignment at most");
            if (active.Count == 1)
            {
                Assert.That(item.CurrentAssignmentId, Is.EqualTo(active[0].Id), $"{item.Id}: the current assignment is the active one");
            }
            else
            {
                var queuedOrDone = item.Status == WorkItemStatus.Done || (item.Status == WorkItemStatus.Todo && item.DelegationStatus == DelegationStatus.Unassigned);
                Assert.That(queuedOrDone, Is.True, $"{item.Id}: without an active assignment an item is back in the queue or done, not {item.Status}/{item.DelegationStatus}");
            }
        }
    }

    private Task AssertIntactAsync() => Provider == DatabaseProvider.Sqlite ? AssertIntactAsync(Database.ConnectionString) : Task.CompletedTask;

    private static async Task AssertIntactAsync(string connectionString)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo("ok"), "PRAGMA integrity_check");
    }
}
