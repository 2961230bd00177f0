using System.Collections.Concurrent;
using System.Diagnostics;
using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Migrations;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AgentOrchestration.Data.Tests.Faults;

/// <summary>
/// A PostgreSQL server restarted twice (<c>pg_ctl restart -m fast</c>) under workers that claim, lock, heartbeat and
/// complete: nothing is lost, nothing is done twice, and callers see only the library's documented exceptions. The
/// server is a throw-away cluster of this test's own (build/lib/postgres.sh), never the suite's shared one.
/// </summary>
[NonParallelizable]
public sealed class ServerRestartTests
{
    private const int Workers = 4;
    private const int Items = 40;
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(4);

    private Cluster? cluster;

    [OneTimeSetUp]
    public async Task StartClusterAsync() => cluster = await Cluster.StartAsync();

    [OneTimeTearDown]
    public async Task StopClusterAsync()
    {
        if (cluster is not null)
        {
            await cluster.StopAsync();
        }
    }

    [Test]
    public async Task Two_fast_restarts_mid_run_lose_nothing_do_nothing_twice_and_show_callers_only_documented_exceptions()
    {
        var connectionString = await cluster!.CreateDatabaseAsync("restart_run");
        var services = new ServiceCollection().AddAgentOrchestration(o => o.UsePostgreSql(connectionString).ConfigureQa(p => p.RequireNone()))
            .BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
        await using (services)
        {
            var (project, agents, sessions) = await SeedAsync(services);
            var seen = new ConcurrentBag<(string Operation, Exception Exception)>();
            using var stop = new CancellationTokenSource(Deadline);
            var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(() => WorkAsync(services, connectionString, project, agents[w], sessions[w], seen, stop.Token))).ToList();

            // Restart once a quarter of the work is done, and again at three quarters: workers are mid-claim, mid-lock,
            // mid-heartbeat and mid-completion whenever the server goes.
            await WaitForDoneAsync(connectionString, Items / 4, stop.Token);
            await cluster.RestartAsync();
            await WaitForDoneAsync(connectionString, Items * 3 / 4, stop.Token);
            await cluster.RestartAsync();

            try
            {
                await Task.WhenAll(workers);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Reported below, after what the workers saw.
            }

            // The checks below read through this test's own pool, whose connections the restart broke (the library's
            // connection string differs: it adds its prepare settings, so its pool is another).
            NpgsqlConnection.ClearAllPools();
            var undocumented = seen.Where(s => s.Exception is not (AgentOrchestrationTransientException or LeaseLostException)).ToList();
            Assert.That(undocumented.Select(s => $"{s.Operation}: {s.Exception.GetType().FullName}: {s.Exception.Message}"), Is.Empty,
                "callers see the transient exception, or a documented refusal of a lease that lapsed while the server was away");
            Assert.That(stop.IsCancellationRequested, Is.False, $"all {Items} items were done within {Deadline}");

            await using var db = Context(connectionString);
            var items = await db.Set<WorkItem>().AsNoTracking().Where(w => w.ProjectId == project).ToListAsync();
            Assert.That(items, Has.Count.EqualTo(Items));
            Assert.That(items.Where(i => i.Status != WorkItemStatus.Done).Select(i => i.Title), Is.Empty, "nothing lost");
            var completed = await db.Set<TaskAssignment>().AsNoTracking().Where(a => a.Status == AssignmentStatus.Completed)
                .GroupBy(a => a.WorkItemId).Select(g => new { g.Key, Count = g.Count() }).ToListAsync();
            Assert.That(completed, Has.Count.EqualTo(Items));
            Assert.That(completed.Where(c => c.Count != 1), Is.Empty, "nothing done twice");
            Assert.That(await db.Set<TaskAssignment>().CountAsync(a => a.Status == AssignmentStatus.Assigned || a.Status == AssignmentStatus.Started), Is.Zero);
            Assert.That(await db.Set<FileLock>().CountAsync(), Is.Zero, "every lock released");
            TestContext.Out.WriteLine($"restarts: 2; exceptions seen by workers: {string.Join(", ", seen.GroupBy(s => $"{s.Operation} {s.Exception.GetType().Name}").Select(g => $"{g.Key} x{g.Count()}"))}");
        }
    }

    private static async Task WorkAsync(
        IServiceProvider services, string connectionString, Guid project, Guid agent, string session, ConcurrentBag<(string, Exception)> seen, CancellationToken cancellationToken)
    {
        // Each operation is repeated after a transient fault, as a caller following the documentation does.
        async Task<T?> Call<T>(string operation, Func<IServiceProvider, Task<T>> call)
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    await using var scope = services.CreateAsyncScope();
                    return await call(scope.ServiceProvider);
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    seen.Add((operation, exception));
                    if (exception is not AgentOrchestrationTransientException)
                    {
                        return default;
                    }

                    await Task.Delay(200, cancellationToken);
                }
            }
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            var claimed = await Call("claim", sp => sp.GetRequiredService<IWorkClaimer>().ClaimNextAsync(agent, project, new ClaimOptions { LeaseDuration = Lease, SessionId = session }, cancellationToken));
            if (claimed is null)
            {
                if (await DoneAsync(connectionString, cancellationToken) == Items)
                {
                    return;
                }

                // Work another worker holds (or a claim whose reply was lost, until its lease lapses).
                await Task.Delay(250, cancellationToken);
                continue;
            }

            await Call("lock", sp => sp.GetRequiredService<IFileLockService>().AcquireAsync(session, [$"src/{claimed.Lease.WorkItemId}.cs"], FileLockType.Exclusive, TimeSpan.FromMinutes(1), cancellationToken));
            await Call("heartbeat", sp => sp.GetRequiredService<ISessionService>().HeartbeatAsync(session, $"working on {claimed.Title}", cancellationToken: cancellationToken));
            await Call("complete", async sp =>
            {
                await sp.GetRequiredService<IWorkClaimer>().CompleteAsync(claimed.Lease, cancellationToken);
                return true;
            });
            await Call("release", sp => sp.GetRequiredService<IFileLockService>().ReleaseAllAsync(session, cancellationToken));
        }
    }

    private static async Task<(Guid Project, Guid[] Agents, string[] Sessions)> SeedAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        await sp.GetRequiredService<IAgentOrchestrationMigrator>().MigrateAsync();
        var work = sp.GetRequiredService<IWorkItemService>();
        var project = await work.CreateProjectAsync("restart", "Server restart");
        for (var i = 0; i < Items; i++)
        {
            await work.CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Task, Title = $"item {i:D2}", RequiredCapabilities = ["csharp"] });
        }

        var agents = new Guid[Workers];
        var sessions = new string[Workers];
        for (var w = 0; w < Workers; w++)
        {
            var agent = await sp.GetRequiredService<IAgentRegistry>().RegisterAsync(new AgentRegistration
            {
                Name = $"Worker {w}", Slug = $"worker-{w}", Type = "backend-engineer", Mode = "implementation", MaxConcurrentTasks = 3,
                Capabilities = [new CapabilityEntry { Name = "csharp", Proficiency = 4 }],
            });
            agents[w] = agent.Id;
            sessions[w] = (await sp.GetRequiredService<ISessionService>().StartAsync(new SessionStart(project.Id, SessionAgentType.Implementation)
            {
                SessionId = $"worker-{w}",
                AgentId = agent.Id,
            })).SessionId;
        }

        return (project.Id, agents, sessions);
    }

    private static async Task WaitForDoneAsync(string connectionString, int done, CancellationToken cancellationToken)
    {
        while (await DoneAsync(connectionString, cancellationToken) < done)
        {
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>The test's own look at the database (not a library caller's): -1 while the server is restarting.</summary>
    private static async Task<int> DoneAsync(string connectionString, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            await using var db = Context(connectionString);
            return await db.Set<WorkItem>().CountAsync(w => w.Status == WorkItemStatus.Done, cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            return -1;
        }
    }

    private static AgentOrchestrationDbContext Context(string connectionString)
    {
        var options = new DbContextOptionsBuilder<AgentOrchestrationDbContext>();
        options.UseAgentOrchestrationPostgreSql(connectionString);
        return new AgentOrchestrationDbContext(options.Options);
    }

    /// <summary>A throw-away PostgreSQL cluster started by build/lib/postgres.sh, run as the postgres user when the tests run as root.</summary>
    private sealed class Cluster(string directory, string bin, string connectionString)
    {
        private static readonly string Script = Path.Combine(RepositoryRoot(), "build", "lib", "postgres.sh");

        public static async Task<Cluster> StartAsync()
        {
            // A cluster of its own: the shared one (AO_TEST_POSTGRES) must never be restarted under the other tests.
            var (exit, output, error) = await BashAsync($"unset AO_TEST_POSTGRES AO_PG_PORT; source '{Script}' && pg_start >&2 && printf '%s\\n%s\\n%s\\n' \"$AO_PG_DIR\" \"$AO_PG_BIN\" \"$AO_TEST_POSTGRES\"");
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (exit != 0 || lines.Length != 3)
            {
                var why = $"could not start a throw-away PostgreSQL cluster (exit {exit}): {error}";
                if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                {
                    Assert.Fail(why);
                }

                Assert.Ignore(why);
            }

            return new Cluster(lines[0], lines[1], lines[2]);
        }

        public async Task<string> CreateDatabaseAsync(string name)
        {
            await using (var admin = new NpgsqlConnection(connectionString))
            {
                await admin.OpenAsync();
                await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
                await create.ExecuteNonQueryAsync();
            }

            return new NpgsqlConnectionStringBuilder(connectionString) { Database = name }.ConnectionString;
        }

        public async Task RestartAsync()
        {
            // PostgreSQL refuses to run as root: root runs pg_ctl as the postgres user, from a folder that user may enter.
            var asPostgres = Environment.UserName == "root" ? "runuser -u postgres -- " : string.Empty;
            var (exit, _, error) = await BashAsync($"cd '{directory}' && {asPostgres}'{bin}/pg_ctl' -D '{directory}/data' -l '{directory}/server.log' -m fast -w -t 60 restart");
            Assert.That(exit, Is.Zero, $"pg_ctl restart: {error}");
        }

        public async Task StopAsync() => await BashAsync($"source '{Script}' && AO_PG_DIR='{directory}' && pg_stop");

        private static async Task<(int Exit, string Output, string Error)> BashAsync(string script)
        {
            var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(script);
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await output, await error);
        }

        private static string RepositoryRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "build", "lib", "postgres.sh")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException($"No build/lib/postgres.sh above {AppContext.BaseDirectory}.");
        }
    }
}
