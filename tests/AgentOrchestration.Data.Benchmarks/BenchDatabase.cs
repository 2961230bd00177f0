using System.Globalization;
using AgentOrchestration.Data.Entities;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
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
        // EF writes the project, the agents and the first item, so they are exactly what the library would store; the
        // database copies that item for the rest (100k items through SaveChanges took ~25 s, most of the bench's seeding).
        var template = new WorkItem
        {
            Project = project,
            Type = WorkItemType.Task,
            Title = $"{label} item 0",
            Priority = 1,
            CreatedAt = now,
            UpdatedAt = now,
        };
        await using (var db = CreateContext())
        {
            db.Add(project);
            db.AddRange(agentRows);
            if (items > 0)
            {
                db.Add(template);
            }

            await db.SaveChangesAsync();
        }

        if (items > 1)
        {
            await CopyItemAsync(template, label, items - 1);
        }

        // Fresh statistics, as autovacuum would have them in a long-running system: without them the planner takes the
        // freshly filled tables for empty ones.
        await using (var db = CreateContext())
        {
            await db.Database.ExecuteSqlRawAsync("ANALYZE");
        }

        return (project.Id, agentRows.Select(a => a.Id).ToArray());
    }

    /// <summary>
    /// Inserts <paramref name="copies"/> copies of <paramref name="template"/>, copy <c>i</c> with its own id, the title
    /// "<paramref name="label"/> item i", priority <c>1 + i % 5</c> and a creation time <c>i</c> µs after the template's;
    /// distinct creation times keep the claim order (priority, created_at, id) free of ties, as in a real queue.
    /// </summary>
    private async Task CopyItemAsync(WorkItem template, string label, int copies)
    {
        await using var db = CreateContext();
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(10));
        var entity = db.Model.FindEntityType(typeof(WorkItem))!;
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        string Column(string property) => entity.FindProperty(property)!.GetColumnName(table)!;
        var sql = db.GetService<ISqlGenerationHelper>();
        string Quote(string name) => sql.DelimitIdentifier(name);
        var (id, title, priority, createdAt) = (Column(nameof(WorkItem.Id)), Column(nameof(WorkItem.Title)), Column(nameof(WorkItem.Priority)), Column(nameof(WorkItem.CreatedAt)));
        var tableName = sql.DelimitIdentifier(table.Name, table.Schema);

        // Every column the table has, JSON and shadow columns included, read from the database rather than the entity.
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        var columns = new List<string>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = IsPostgres
                ? $"SELECT column_name FROM information_schema.columns WHERE table_schema = coalesce({(table.Schema is null ? "NULL" : $"'{table.Schema}'")}, current_schema()) AND table_name = '{table.Name}' ORDER BY ordinal_position"
                : $"SELECT name FROM pragma_table_info('{table.Name}')";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                columns.Add(reader.GetString(0));
            }
        }

        string Value(string column, string idValue, string titleValue, string priorityValue, string createdValue) =>
            column == id ? idValue
            : column == title ? titleValue
            : column == priority ? priorityValue
            : column == createdAt ? createdValue
            : $"t.{Quote(column)}";
        var into = $"INSERT INTO {tableName} ({string.Join(", ", columns.Select(Quote))}) ";

        if (IsPostgres)
        {
            // The template's id with copy i's number in its last 12 hex digits: unique, and the same kind of v7 uuid.
            var select = string.Join(", ", columns.Select(c => Value(
                c,
                $"(left(t.{Quote(id)}::text, 24) || lpad(to_hex(g), 12, '0'))::uuid",
                $"@label || ' item ' || g",
                "1 + (g % 5)",
                $"t.{Quote(createdAt)} + g * interval '1 microsecond'")));
            await using var command = (NpgsqlCommand)connection.CreateCommand();
            command.CommandText = $"{into}SELECT {select} FROM {tableName} t CROSS JOIN generate_series(1, @copies) g WHERE t.{Quote(id)} = @template";
            command.Parameters.AddWithValue("label", label);
            command.Parameters.AddWithValue("copies", copies);
            command.Parameters.AddWithValue("template", template.Id);
            await command.ExecuteNonQueryAsync();
            return;
        }

        // SQLite stores uuids as text; the copies' ids take the template's casing so lookups by id find them, and, as on
        // PostgreSQL, the template's id with copy i's number in its last 12 hex digits: ids rise with creation time as the
        // library's own (monotonic v7) do, so the claim order walks the id indexes in order instead of at random.
        string templateId;
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = $"SELECT {Quote(id)} FROM {tableName} WHERE upper({Quote(id)}) = upper($id)";
            command.Parameters.Add(new SqliteParameter("$id", template.Id.ToString()));
            templateId = (string)(await command.ExecuteScalarAsync())!;
        }

        var upper = templateId.Any(char.IsAsciiLetterUpper);
        var selectRow = string.Join(", ", columns.Select(c => Value(c, "$id", "$title", "$priority", "$created")));
        await using var transaction = await connection.BeginTransactionAsync();
        await using var insert = (SqliteCommand)connection.CreateCommand();
        insert.Transaction = (SqliteTransaction)transaction;
        insert.CommandText = $"{into}SELECT {selectRow} FROM {tableName} t WHERE t.{Quote(id)} = $template";
        var idParameter = insert.Parameters.Add("$id", SqliteType.Text);
        var titleParameter = insert.Parameters.Add("$title", SqliteType.Text);
        var priorityParameter = insert.Parameters.Add("$priority", SqliteType.Integer);
        var createdParameter = insert.Parameters.Add("$created", SqliteType.Text);
        insert.Parameters.AddWithValue("$template", templateId);
        insert.Prepare();
        // The library stores UTC text at microsecond precision.
        var created = template.CreatedAt.UtcDateTime.AddTicks(-(template.CreatedAt.UtcTicks % TimeSpan.TicksPerMicrosecond));
        for (var i = 1; i <= copies; i++)
        {
            var copyId = string.Create(CultureInfo.InvariantCulture, $"{templateId[..24]}{i:x12}");
            idParameter.Value = upper ? copyId.ToUpperInvariant() : copyId;
            titleParameter.Value = $"{label} item {i}";
            priorityParameter.Value = 1 + (i % 5);
            createdParameter.Value = created.AddTicks(i * TimeSpan.TicksPerMicrosecond).ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);
            if (await insert.ExecuteNonQueryAsync() != 1)
            {
                throw new InvalidOperationException($"Copying work item {templateId} inserted no row for copy {i}.");
            }
        }

        await transaction.CommitAsync();
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

            // A connection another thread of the scenario is still closing can remove or create its -wal and -shm files
            // while the directory is being emptied ("Directory not empty", seen once in CI's quick run); try again.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    Directory.Delete(sqliteDirectory, recursive: true);
                    return;
                }
                catch (IOException) when (attempt < 10)
                {
                    await Task.Delay(100);
                    SqliteConnection.ClearAllPools();
                }
            }
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
