using AgentOrchestration.Data.Entities;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AgentOrchestration.Data.Benchmarks;

/// <summary>A throw-away migrated database (a new PostgreSQL database, or a SQLite file in a temp dir) and ways to seed it.</summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string? sqliteDirectory;
    private readonly string? postgresAdmin;
    private readonly string? postgresName;

    private BenchDatabase(bool isPostgres, string connectionString, string? sqliteDirectory, string? postgresAdmin, string? postgresName)
    {
        IsPostgres = isPostgres;
        ConnectionString = connectionString;
        this.sqliteDirectory = sqliteDirectory;
        this.postgresAdmin = postgresAdmin;
        this.postgresName = postgresName;
    }

    public bool IsPostgres { get; }

    public string ConnectionString { get; }

    public static async Task<BenchDatabase> PostgresAsync(string admin)
    {
        var name = $"ao_bench_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        var database = new BenchDatabase(true, new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString, null, admin, name);
        await database.MigrateAsync();
        return database;
    }

    public static async Task<BenchDatabase> SqliteAsync()
    {
        var directory = Directory.CreateTempSubdirectory("ao-bench-").FullName;
        var database = new BenchDatabase(false, $"Data Source={Path.Combine(directory, "bench.db")}", directory, null, null);
        await database.MigrateAsync();
        return database;
    }

    /// <summary>A SQLite file another process of this run created and migrated; disposing it leaves the file alone.</summary>
    public static BenchDatabase SqliteFile(string path) => new(false, $"Data Source={path}", null, null, null);

    /// <summary>The SQLite file's path (SQLite only).</summary>
    public string SqlitePath => new SqliteConnectionStringBuilder(ConnectionString).DataSource;

    public AgentOrchestrationDbContext CreateContext(params IInterceptor[] interceptors)
    {
        var builder = new DbContextOptionsBuilder<AgentOrchestrationDbContext>();
        Configure(builder, interceptors);
        return new AgentOrchestrationDbContext(builder.Options);
    }

    /// <summary>The library as a host registers it, completion not QA-gated; with a counter it goes through AddDbContext so the counter sees every command.</summary>
    public ServiceProvider Services(RoundTripCounter? counter = null) => Services(counter, counter?.Interceptors ?? []);

    /// <summary>
    /// The library as <see cref="Services(RoundTripCounter?)"/> registers it, on a connection pool of its own: Npgsql keeps
    /// one pool per connection string, and this one differs by its application name.
    /// </summary>
    public ServiceProvider ServicesWithOwnPool(string applicationName)
    {
        var services = new ServiceCollection();
        var connectionString = IsPostgres ? new NpgsqlConnectionStringBuilder(ConnectionString) { ApplicationName = applicationName }.ConnectionString : ConnectionString;
        services.AddAgentOrchestration(o =>
        {
            if (IsPostgres)
            {
                o.UsePostgreSql(connectionString);
            }
            else
            {
                o.UseSqlite(connectionString);
            }

            o.ConfigureQa(p => p.RequireNone());
        });
        return services.BuildServiceProvider();
    }

    /// <summary>The library registered with its own context carrying <paramref name="interceptors"/> (a command log).</summary>
    public ServiceProvider Services(params IInterceptor[] interceptors) => Services(null, interceptors);

    private ServiceProvider Services(RoundTripCounter? counter, IInterceptor[] interceptors)
    {
        var services = new ServiceCollection();
        if (interceptors.Length == 0 && counter is null)
        {
            services.AddAgentOrchestration(o =>
            {
                if (IsPostgres)
                {
                    o.UsePostgreSql(ConnectionString);
                }
                else
                {
                    o.UseSqlite(ConnectionString);
                }

                o.ConfigureQa(p => p.RequireNone());
            });
        }
        else
        {
            services.AddDbContext<AgentOrchestrationDbContext>(o => Configure(o, interceptors, traced: counter is not null));
            services.AddAgentOrchestration(o => o.UseDbContext<AgentOrchestrationDbContext>().ConfigureQa(p => p.RequireNone()));
        }

        return services.BuildServiceProvider();
    }

    /// <summary>A project with <paramref name="items"/> ready tasks (no required capabilities) and <paramref name="agents"/> active agents.</summary>
    public async Task<(Guid ProjectId, Guid[] AgentIds)> SeedAsync(string label, int items, int agents)
    {
        var now = DateTimeOffset.UtcNow;
        var project = new Project { Key = $"p-{Guid.NewGuid():N}"[..30], Name = label, CreatedAt = now, UpdatedAt = now };
        var agentRows = Enumerable.Range(0, agents).Select(i => new AgentProfile
        {
            Name = $"{label} agent {i}",
            Slug = $"a-{Guid.NewGuid():N}"[..24],
            Type = "backend-engineer",
            Mode = "implementation",
            MaxConcurrentTasks = 1_000_000,
            CreatedAt = now,
            UpdatedAt = now,
        }).ToArray();
        await using (var db = CreateContext())
        {
            db.Add(project);
            db.AddRange(agentRows);
            await db.SaveChangesAsync();
        }

        const int chunk = 2000;
        for (var start = 0; start < items; start += chunk)
        {
            await using var db = CreateContext();
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            for (var i = start; i < Math.Min(items, start + chunk); i++)
            {
                db.Add(new WorkItem
                {
                    ProjectId = project.Id,
                    Type = WorkItemType.Task,
                    Title = $"{label} item {i}",
                    Priority = 1 + (i % 5),
                    CreatedAt = now.AddTicks(i),
                    UpdatedAt = now,
                });
            }

            await db.SaveChangesAsync();
        }

        // Fresh statistics, as autovacuum would have them in a long-running system: without them the planner takes the
        // freshly filled tables for empty ones.
        await using (var db = CreateContext())
        {
            await db.Database.ExecuteSqlRawAsync("ANALYZE");
        }

        return (project.Id, agentRows.Select(a => a.Id).ToArray());
    }

    /// <summary>Items of the project that do not have exactly one completed assignment (0 when every item was done once).</summary>
    public async Task<(int Done, int Wrong)> CheckCompletedOnceAsync(Guid projectId, int expected)
    {
        await using var db = CreateContext();
        var counts = await db.Set<WorkItem>().Where(w => w.ProjectId == projectId)
            .Select(w => w.Assignments.Count(a => a.Status == AssignmentStatus.Completed))
            .ToListAsync();
        var done = counts.Count(c => c == 1);
        return (done, counts.Count(c => c != 1) + Math.Abs(counts.Count - expected));
    }

    /// <summary>
    /// For runs that may stop before the queue is empty: items done exactly once, and items that went wrong (completed
    /// more than once, or holding more than one assignment).
    /// </summary>
    public async Task<(int Done, int Wrong)> CheckNoDoubleAsync(Guid projectId)
    {
        await using var db = CreateContext();
        var counts = await db.Set<WorkItem>().Where(w => w.ProjectId == projectId)
            .Select(w => new { Completed = w.Assignments.Count(a => a.Status == AssignmentStatus.Completed), All = w.Assignments.Count })
            .ToListAsync();
        return (counts.Count(c => c.Completed == 1), counts.Count(c => c.Completed > 1 || c.All > 1));
    }

    /// <summary>Items of the project with more than one assignment (a double claim), for runs that only claim.</summary>
    public async Task<(int Claimed, int Doubled)> CheckClaimedOnceAsync(Guid projectId)
    {
        await using var db = CreateContext();
        var counts = await db.Set<WorkItem>().Where(w => w.ProjectId == projectId).Select(w => w.Assignments.Count).ToListAsync();
        return (counts.Count(c => c == 1), counts.Count(c => c > 1));
    }

    /// <summary>Runs one statement of the harness's own on the database (SQLite: on a fresh connection).</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var db = CreateContext();
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(10));
        await db.Database.ExecuteSqlRawAsync(sql);
    }

    public async ValueTask DisposeAsync()
    {
        if (!IsPostgres && sqliteDirectory is null)
        {
            return;
        }

        if (sqliteDirectory is not null)
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(sqliteDirectory, recursive: true);
            return;
        }

        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(postgresAdmin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{postgresName}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    private void Configure(DbContextOptionsBuilder builder, IInterceptor[] interceptors, bool traced = false)
    {
        if (IsPostgres && traced)
        {
            builder.UseAgentOrchestrationPostgreSql(ConnectionString, npgsql => npgsql.ConfigureDataSource(RoundTripCounter.ConfigureTracing));
        }
        else if (IsPostgres)
        {
            builder.UseAgentOrchestrationPostgreSql(ConnectionString);
        }
        else
        {
            builder.UseAgentOrchestrationSqlite(ConnectionString);
        }

        if (interceptors.Length > 0)
        {
            builder.AddInterceptors(interceptors);
        }
    }

    private async Task MigrateAsync()
    {
        await using var db = CreateContext();
        await db.Database.MigrateAsync();
    }
}
