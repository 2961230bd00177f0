using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Migrations;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Schema;

/// <summary>A host's own context that embeds the model gets exactly the turnkey schema, beside its own tables.</summary>
public sealed class EmbeddedModelTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    [Test]
    public void The_embedded_model_equals_the_turnkey_model()
    {
        using var turnkey = CreateContext();
        using var host = new HostContext(HostOptions());

        var expected = Describe(turnkey.GetService<IDesignTimeModel>().Model.GetRelationalModel());
        var actual = Describe(host.GetService<IDesignTimeModel>().Model.GetRelationalModel());

        Assert.That(actual.Keys, Does.Contain("host_users"), "the host's own table is there");
        actual.Remove("host_users");
        Assert.That(actual.Keys, Is.EquivalentTo(expected.Keys));
        Assert.That(Sequences(host.GetService<IDesignTimeModel>().Model), Is.EqualTo(Sequences(turnkey.GetService<IDesignTimeModel>().Model)),
            "the event feed's horizon sequence (PostgreSQL) comes with the model");
        Assert.Multiple(() =>
        {
            foreach (var table in expected.Keys)
            {
                Assert.That(actual[table], Is.EqualTo(expected[table]), table);
            }
        });
    }

    [Test]
    public void A_table_prefix_and_schema_rename_every_library_object()
    {
        using var host = new PrefixedHostContext(Configure(new DbContextOptionsBuilder<PrefixedHostContext>()).Options);
        var model = host.GetService<IDesignTimeModel>().Model.GetRelationalModel();
        var library = model.Tables.Where(t => t.Name != "host_users").ToList();

        Assert.That(library, Has.Count.EqualTo(12));
        Assert.Multiple(() =>
        {
            foreach (var table in library)
            {
                Assert.That(table.Name, Does.StartWith("ao_"));
                Assert.That(table.Schema, Is.EqualTo(Provider == DatabaseProvider.PostgreSql ? "agents" : null));
                Assert.That(table.Indexes.Select(i => i.Name), Is.All.StartWith("ao_"), table.Name);
                Assert.That(table.ForeignKeyConstraints.Select(f => f.Name), Is.All.StartWith("ao_"), table.Name);
                Assert.That(table.PrimaryKey?.Name, Does.StartWith("ao_"), table.Name);
            }
        });
        Assert.That(model.FindTable("ao_agent_profiles", Provider == DatabaseProvider.PostgreSql ? "agents" : null)!.Indexes.Select(i => i.Name), Does.Contain("ao_agent_profiles_slug"));
    }

    [Test]
    public async Task The_library_works_through_a_host_context_registered_with_UseDbContext()
    {
        var services = new ServiceCollection()
            .AddDbContext<HostContext>(o => Configure(o))
            .AddAgentOrchestration(o => o.UseDbContext<HostContext>())
            .BuildServiceProvider();
        await using var scope = services.CreateAsyncScope();
        var host = scope.ServiceProvider.GetRequiredService<HostContext>();
        await host.Database.EnsureCreatedAsync();

        // The host owns its migrations (it has none here), so the library's migrator reports the host's.
        Assert.That(scope.ServiceProvider.GetRequiredService<IAgentOrchestrationMigrator>().GetMigrations(), Is.Empty);

        var project = Fakes.Project();
        host.Add(new HostUser { Name = "ada" });
        host.Add(Fakes.WorkItem(project));
        await host.SaveChangesAsync();
        host.ChangeTracker.Clear();
        Assert.That(await host.Set<WorkItem>().CountAsync(w => w.ProjectId == project.Id), Is.EqualTo(1));
        Assert.That(await host.Users.CountAsync(), Is.EqualTo(1));
    }

    [Test]
    public async Task A_prefixed_host_context_in_a_schema_gets_a_live_event_feed()
    {
        var services = new ServiceCollection()
            .AddDbContext<PrefixedHostContext>(o => Configure(o))
            .AddAgentOrchestration(o => o.UseDbContext<PrefixedHostContext>())
            .BuildServiceProvider();
        await using (var setup = services.CreateAsyncScope())
        {
            await setup.ServiceProvider.GetRequiredService<PrefixedHostContext>().Database.EnsureCreatedAsync();
        }

        // On PostgreSQL a transaction left open elsewhere holds an id; it must not hold the host's feed back.
        await using var idle = Provider == DatabaseProvider.PostgreSql ? new Npgsql.NpgsqlConnection(Database.ConnectionString) : null;
        if (idle is not null)
        {
            await idle.OpenAsync();
            await using var begin = new Npgsql.NpgsqlCommand("BEGIN; SELECT pg_current_xact_id();", idle);
            await begin.ExecuteNonQueryAsync();
        }

        await using var scope = services.CreateAsyncScope();
        var project = await scope.ServiceProvider.GetRequiredService<AgentOrchestration.Data.Work.IWorkItemService>().CreateProjectAsync("host", "Host");
        var log = scope.ServiceProvider.GetRequiredService<AgentOrchestration.Data.EventLog.IEventLog>();
        Assert.That((await log.ReadAsync(0, 100)).Select(e => (e.Type, e.EntityId)), Is.EqualTo(new[] { (OrchestrationEventTypes.ProjectCreated, (Guid?)project.Id) }));

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var watch = log.WatchAsync(0, project.Id, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.That(await watch.MoveNextAsync(), Is.True);
        Assert.That(watch.Current.EntityId, Is.EqualTo(project.Id));
        if (idle is not null)
        {
            var host = scope.ServiceProvider.GetRequiredService<PrefixedHostContext>();
            Assert.That(await RawSql.ScalarAsync(host, "SELECT pg_sequence_last_value('agents.ao_orchestration_events_horizon') IS NOT NULL"), Is.True,
                "the reader raised the host's own horizon sequence");
        }
    }

    [Test]
    public void AddAgentOrchestration_without_a_database_says_what_to_call()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddAgentOrchestration(_ => { }));
        Assert.That(error!.Message, Does.Contain("UseSqlite").And.Contain("UsePostgreSql").And.Contain("UseDbContext"));
    }

    private DbContextOptions<HostContext> HostOptions() => Configure(new DbContextOptionsBuilder<HostContext>()).Options;

    private TBuilder Configure<TBuilder>(TBuilder builder)
        where TBuilder : DbContextOptionsBuilder
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            builder.UseSqlite(Database.ConnectionString);
        }
        else
        {
            builder.UseNpgsql(Database.ConnectionString);
        }

        return builder;
    }

    private static List<string> Sequences(IModel model) =>
        [.. model.GetSequences().Select(q => $"{q.Schema}.{q.Name} {q.Type.Name} start={q.StartValue} by={q.IncrementBy} cyclic={q.IsCyclic}").Order(StringComparer.Ordinal)];

    private static Dictionary<string, List<string>> Describe(IRelationalModel model) =>
        model.Tables.ToDictionary(
            t => t.Name,
            t => t.Columns.Select(c => $"column {c.Name} {c.StoreType} {(c.IsNullable ? "null" : "not null")} default={c.DefaultValueSql ?? c.DefaultValue}")
                .Concat(t.PrimaryKey is { } pk ? [$"pk {pk.Name} ({string.Join(",", pk.Columns.Select(c => c.Name))})"] : [])
                .Concat(t.UniqueConstraints.Select(u => $"unique {u.Name} ({string.Join(",", u.Columns.Select(c => c.Name))})"))
                .Concat(t.ForeignKeyConstraints.Select(f => $"fk {f.Name} ({string.Join(",", f.Columns.Select(c => c.Name))}) -> {f.PrincipalTable.Name} {f.OnDeleteAction}"))
                .Concat(t.Indexes.Select(i => $"index {i.Name} ({string.Join(",", i.Columns.Select(c => c.Name))}) unique={i.IsUnique} filter={i.Filter}"))
                .Concat(t.CheckConstraints.Select(c => $"check {c.Name} {c.Sql}"))
                .Order(StringComparer.Ordinal)
                .ToList());

    public sealed class HostUser
    {
        public int Id { get; set; }

        public string Name { get; set; } = null!;
    }

    public sealed class HostContext(DbContextOptions<HostContext> options) : DbContext(options)
    {
        public DbSet<HostUser> Users => Set<HostUser>();

        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            modelBuilder.Entity<HostUser>().ToTable("host_users");
            modelBuilder.ApplyAgentOrchestration();
        }
    }

    public sealed class PrefixedHostContext(DbContextOptions<PrefixedHostContext> options) : DbContext(options)
    {
        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            modelBuilder.Entity<HostUser>().ToTable("host_users");
            modelBuilder.ApplyAgentOrchestration(o =>
            {
                o.TablePrefix = "ao_";
                o.Schema = Database.IsNpgsql() ? "agents" : null;
            });
        }
    }
}
