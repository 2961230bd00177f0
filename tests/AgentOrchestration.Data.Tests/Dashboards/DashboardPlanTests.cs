using System.Diagnostics;
using System.Globalization;
using AgentOrchestration.Data.Dashboards;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace AgentOrchestration.Data.Tests.Dashboards;

/// <summary>
/// Not a test of behaviour but a report, run on demand: fills PostgreSQL with <c>AO_DASHBOARD_ITEMS</c> work items (1M by
/// default) spread over 20 projects, with assignments, sessions, locks, QA results and 1M events, then prints each dashboard
/// query's plan (EXPLAIN ANALYZE of the exact command the library sent) and its time through the library against the same
/// command through raw Npgsql.
/// <code>dotnet test -c Release --filter "FullyQualifiedName~DashboardPlanTests"</code>
/// </summary>
[Explicit("Fills a database with a million rows; run on demand.")]
[Category("Plans")]
public sealed class DashboardPlanTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private const int Runs = 15;

    [Test]
    public async Task Dashboard_plans_and_times_at_scale()
    {
        Assume.That(Provider, Is.EqualTo(DatabaseProvider.PostgreSql), "plans are reported for PostgreSQL");
        var items = int.Parse(Environment.GetEnvironmentVariable("AO_DASHBOARD_ITEMS") ?? "1000000", CultureInfo.InvariantCulture);
        await using (var context = await MigratedContextAsync())
        {
            context.Database.SetCommandTimeout(TimeSpan.FromMinutes(30));
            await context.Database.OpenConnectionAsync();
            var watch = Stopwatch.StartNew();
            foreach (var statement in FillSql(items))
            {
                await context.Database.ExecuteSqlRawAsync(statement);
            }

            TestContext.Out.WriteLine($"filled {items:N0} work items in {watch.Elapsed}");
        }

        Guid projectId, sprintId, quietId;
        await using (var context = CreateContext())
        {
            projectId = await context.Projects.Where(p => p.Key == "p1").Select(p => p.Id).SingleAsync();
            quietId = await context.Projects.Where(p => p.Key == "quiet").Select(p => p.Id).SingleAsync();
            sprintId = await context.Sprints.Where(s => s.ProjectId == projectId && s.Status == Entities.SprintStatus.Active).Select(s => s.Id).SingleAsync();
        }

        var log = new CommandLog();
        var services = new ServiceCollection();
        services.AddDbContext<AgentOrchestrationDbContext>(o => o.UseAgentOrchestrationPostgreSql(Database.ConnectionString).AddInterceptors(log));
        services.AddAgentOrchestration(o => o.UseDbContext<AgentOrchestrationDbContext>().UseClock(new FakeTimeProvider(DateTimeOffset.UtcNow)));
        await using var provider = services.BuildServiceProvider();

        var queries = new (string Name, Func<IOrchestrationDashboard, Task> Call)[]
        {
            ("work by status (project)", d => d.GetWorkByStatusAsync(projectId)),
            ("work by status (sprint)", d => d.GetWorkByStatusAsync(projectId, sprintId)),
            ("agent workload", d => d.GetAgentWorkloadAsync(projectId)),
            ("active sessions", d => d.GetActiveSessionsAsync(projectId)),
            ("qa pass rates (project)", d => d.GetQaPassRatesAsync(projectId)),
            ("qa pass rates (sprint)", d => d.GetQaPassRatesAsync(projectId, sprintId)),
            ("blocked and stale", d => d.GetBlockedAndStaleWorkAsync(projectId, TimeSpan.FromHours(6))),
            ("recent events", d => d.GetRecentEventsAsync(projectId)),
            ("recent events (quiet project)", d => d.GetRecentEventsAsync(quietId)),
        };

        await using var raw = new NpgsqlConnection(Database.ConnectionString);
        await raw.OpenAsync();
        foreach (var (name, call) in queries)
        {
            // Warm both paths (query compilation, buffers), then alternate them so neither gets a warmer cache.
            var library = new List<double>();
            var direct = new List<double>();
            for (var i = -3; i < Runs; i++)
            {
                await using (var scope = provider.CreateAsyncScope())
                {
                    var dashboard = scope.ServiceProvider.GetRequiredService<IOrchestrationDashboard>();
                    log.Clear();
                    var watch = Stopwatch.StartNew();
                    await call(dashboard);
                    if (i >= 0)
                    {
                        library.Add(watch.Elapsed.TotalMilliseconds);
                    }
                }

                var (sql, values) = log.CommandsWithParameters.Single();
                var rawWatch = Stopwatch.StartNew();
                await using (var command = Command(raw, sql, values))
                await using (var reader = await command.ExecuteReaderAsync())
                {
                    var row = new object[reader.FieldCount];
                    while (await reader.ReadAsync())
                    {
                        reader.GetValues(row);
                    }
                }

                if (i >= 0)
                {
                    direct.Add(rawWatch.Elapsed.TotalMilliseconds);
                }
            }

            var (text, parameters) = log.CommandsWithParameters.Single();
            await using var explain = Command(raw, "EXPLAIN (ANALYZE, BUFFERS) " + text, parameters);
            var plan = new List<string>();
            await using (var reader = await explain.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    plan.Add(reader.GetString(0));
                }
            }

            TestContext.Out.WriteLine($"== {name}: library median {Median(library):F2} ms, raw Npgsql median {Median(direct):F2} ms, ratio {Median(library) / Median(direct):F2}");
            TestContext.Out.WriteLine(text);
            TestContext.Out.WriteLine(string.Join("\n", plan));
        }

        // The whole snapshot: six commands through the library against the same six through one raw connection.
        {
            var library = new List<double>();
            var direct = new List<double>();
            for (var i = -3; i < Runs; i++)
            {
                await using (var scope = provider.CreateAsyncScope())
                {
                    var dashboard = scope.ServiceProvider.GetRequiredService<IOrchestrationDashboard>();
                    log.Clear();
                    var watch = Stopwatch.StartNew();
                    await dashboard.GetSnapshotAsync(projectId, TimeSpan.FromHours(6));
                    if (i >= 0)
                    {
                        library.Add(watch.Elapsed.TotalMilliseconds);
                    }
                }

                var commands = log.CommandsWithParameters;
                var rawWatch = Stopwatch.StartNew();
                await using (var connection = new NpgsqlConnection(Database.ConnectionString))
                {
                    await connection.OpenAsync();
                    foreach (var (sql, values) in commands)
                    {
                        await using var command = Command(connection, sql, values);
                        await using var reader = await command.ExecuteReaderAsync();
                        var row = new object[reader.FieldCount];
                        while (await reader.ReadAsync())
                        {
                            reader.GetValues(row);
                        }
                    }
                }

                if (i >= 0)
                {
                    direct.Add(rawWatch.Elapsed.TotalMilliseconds);
                }
            }

            TestContext.Out.WriteLine($"== snapshot (6 commands): library median {Median(library):F2} ms, raw Npgsql median {Median(direct):F2} ms, ratio {Median(library) / Median(direct):F2}");
        }

        // AO_DASHBOARD_KEEP=name keeps a copy of the filled database for looking at plans by hand.
        if (Environment.GetEnvironmentVariable("AO_DASHBOARD_KEEP") is { Length: > 0 } keep)
        {
            await raw.CloseAsync();
            NpgsqlConnection.ClearAllPools();
            var source = new NpgsqlConnectionStringBuilder(Database.ConnectionString).Database;
            await using var admin = new NpgsqlConnection(TestDatabase.AdminConnectionString());
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{keep}\"", admin);
            await drop.ExecuteNonQueryAsync();
            await using var copy = new NpgsqlCommand($"CREATE DATABASE \"{keep}\" TEMPLATE \"{source}\"", admin);
            await copy.ExecuteNonQueryAsync();
        }
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string text, IReadOnlyList<(string Name, object? Value)> parameters)
    {
        var command = new NpgsqlCommand(text, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter(name, value ?? DBNull.Value));
        }

        return command;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static IEnumerable<string> FillSql(int items) =>
    [
        "INSERT INTO projects (id, key, name, created_at, updated_at) SELECT gen_random_uuid(), 'p' || g, 'Project ' || g, now(), now() FROM generate_series(1, 20) g",
        "INSERT INTO sprints (id, project_id, name, status, created_at, updated_at) SELECT gen_random_uuid(), p.id, 'S' || g, CASE WHEN g = 10 THEN 'active' WHEN g < 10 THEN 'completed' ELSE 'planned' END, now(), now() FROM projects p, generate_series(1, 11) g",
        "INSERT INTO agent_profiles (id, name, slug, type, mode, status, max_concurrent_tasks, created_at, updated_at) SELECT gen_random_uuid(), 'Agent ' || g, 'agent-' || g, 'backend-engineer', 'implementation', 'active', 10, now(), now() FROM generate_series(1, 200) g",
        "CREATE TEMP TABLE pr AS SELECT id, substr(key, 2)::int AS n FROM projects",
        "CREATE TEMP TABLE sp AS SELECT s.id, pr.n AS pn, substr(s.name, 2)::int AS k FROM sprints s JOIN pr ON pr.id = s.project_id",
        "CREATE TEMP TABLE ag AS SELECT id, substr(slug, 7)::int AS n FROM agent_profiles",
        $"""
        INSERT INTO work_items (id, project_id, sprint_id, type, title, status, delegation_status, priority, estimated_hours, actual_hours,
            assigned_agent_id, assignee_type, assignee_id, created_at, updated_at)
        SELECT gen_random_uuid(), pr.id, sp.id, CASE WHEN g % 10 = 0 THEN 'story' ELSE 'task' END, 'Item ' || g,
            CASE WHEN r < 0.70 THEN 'done' WHEN r < 0.95 THEN 'todo' WHEN r < 0.97 THEN 'in_progress' WHEN r < 0.98 THEN 'blocked' WHEN r < 0.99 THEN 'in_review' ELSE 'cancelled' END,
            CASE WHEN r < 0.70 THEN 'completed' WHEN r < 0.95 THEN 'unassigned' WHEN r < 0.98 THEN CASE WHEN r < 0.97 THEN 'in_progress' ELSE 'blocked' END WHEN r < 0.99 THEN 'in_progress' ELSE 'unassigned' END,
            1 + g % 5, round((r2 * 40)::numeric, 2), CASE WHEN r < 0.70 THEN round((r2 * 50)::numeric, 2) END,
            CASE WHEN r < 0.70 OR (r >= 0.95 AND r < 0.99) THEN ag.id END,
            CASE WHEN r < 0.70 OR (r >= 0.95 AND r < 0.99) THEN 'agent' END,
            CASE WHEN r < 0.70 OR (r >= 0.95 AND r < 0.99) THEN ag.id END,
            now() - interval '30 days', now() - r2 * interval '10 days'
        FROM (SELECT g, 1 + g % 20 AS pn, (g / 20) % 12 AS sk, 1 + g % 200 AS an, random() AS r, random() AS r2 FROM generate_series(1, {items}) g) src
        JOIN pr ON pr.n = src.pn LEFT JOIN sp ON sp.pn = src.pn AND sp.k = src.sk JOIN ag ON ag.n = src.an
        """,
        """
        INSERT INTO task_assignments (id, work_item_id, agent_id, assigned_at, status, fencing_token, lease_expires_at, created_at, updated_at)
        SELECT gen_random_uuid(), w.id, w.assigned_agent_id, w.updated_at,
            CASE w.delegation_status WHEN 'completed' THEN 'completed' WHEN 'blocked' THEN 'paused' ELSE 'started' END, 1,
            CASE WHEN w.delegation_status IN ('in_progress', 'blocked') THEN CASE WHEN random() < 0.5 THEN now() + interval '5 minutes' ELSE now() - interval '5 minutes' END END,
            w.updated_at, w.updated_at
        FROM work_items w WHERE w.assigned_agent_id IS NOT NULL
        """,
        """
        INSERT INTO agent_sessions (id, session_id, project_id, agent_id, agent_type, status, current_action, start_time, last_heartbeat_at, risk_level, oversight_level)
        SELECT gen_random_uuid(), 's-' || g, pr.id, ag.id, 'implementation',
            CASE WHEN g % 100 = 0 THEN 'active' WHEN g % 100 = 1 THEN 'paused' ELSE 'completed' END, 'doing ' || g,
            now() - g * interval '1 second', now() - (g % 60) * interval '1 second', 0, 'standard'
        FROM generate_series(1, 20000) g JOIN pr ON pr.n = 1 + g % 20 JOIN ag ON ag.n = 1 + g % 200
        """,
        """
        INSERT INTO file_locks (id, project_id, file_path, locked_by_session, lock_type, timestamp, expires_at)
        SELECT gen_random_uuid(), s.project_id, 'src/f' || k || '.cs', s.session_id, 'exclusive', s.start_time,
            CASE WHEN k = 3 THEN now() - interval '1 minute' ELSE now() + interval '1 hour' END
        FROM agent_sessions s, generate_series(1, 3) k WHERE s.status IN ('active', 'paused') OR s.session_id LIKE '%7'
        """,
        """
        INSERT INTO qa_results (id, task_id, project_id, agent_session_id, qa_type, status, success_criteria_met, timestamp)
        SELECT gen_random_uuid(), w.id, w.project_id, 's-' || (1 + abs(hashtext(w.id::text)) % 20000),
            (ARRAY['code_review', 'functional_test', 'mock_detection', 'success_criteria'])[1 + abs(hashtext(w.id::text)) % 4],
            CASE WHEN random() < 0.7 THEN 'pass' WHEN random() < 0.5 THEN 'warning' ELSE 'fail' END, true, w.updated_at
        FROM work_items w WHERE w.status = 'done' AND random() < 0.45
        """,
        // A quiet project: its few events are the oldest of the log.
        "INSERT INTO projects (id, key, name, created_at, updated_at) VALUES (gen_random_uuid(), 'quiet', 'Quiet project', now(), now())",
        """
        INSERT INTO orchestration_events (occurred_at, type, project_id, entity_type, entity_id, actor)
        SELECT now() - interval '30 days', 'project.created', p.id, 'project', p.id, 'admin' FROM projects p WHERE p.key = 'quiet'
        """,
        """
        INSERT INTO orchestration_events (occurred_at, type, project_id, entity_type, entity_id, actor)
        SELECT now() - (1000000 - g) * interval '1 second', 'work_item.claimed', pr.id, 'work_item', gen_random_uuid(), 'agent-1'
        FROM generate_series(1, 1000000) g JOIN pr ON pr.n = 1 + g % 20
        ORDER BY g
        """,
        "ANALYZE",
    ];
}
