using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Sample.Data;

/// <summary>
/// The host's own context: its entities plus the library's model (embedded mode). One subclass per database, because
/// EF Core migrations are provider-specific: each keeps its own migrations folder.
/// </summary>
public abstract class SampleDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<ScenarioRun> ScenarioRuns => Set<ScenarioRun>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyAgentOrchestration();
        modelBuilder.Entity<ScenarioRun>(run =>
        {
            // The same snake_case naming as the library's tables, so one database reads alike.
            run.ToTable("sample_scenario_runs");
            run.Property(r => r.Id).HasColumnName("id");
            run.Property(r => r.ProjectId).HasColumnName("project_id");
            run.Property(r => r.Provider).HasColumnName("provider").HasMaxLength(20);
            run.Property(r => r.Agents).HasColumnName("agents");
            run.Property(r => r.Tasks).HasColumnName("tasks");
            run.Property(r => r.StartedAt).HasColumnName("started_at");
            run.Property(r => r.FinishedAt).HasColumnName("finished_at");
            run.Property(r => r.Outcome).HasColumnName("outcome").HasMaxLength(2000);
        });
    }
}

/// <summary>The sample's context on SQLite, with the migrations in Data/Migrations/Sqlite.</summary>
public sealed class SqliteSampleDbContext(DbContextOptions<SqliteSampleDbContext> options) : SampleDbContext(options);

/// <summary>The sample's context on PostgreSQL, with the migrations in Data/Migrations/PostgreSql.</summary>
public sealed class PostgreSqlSampleDbContext(DbContextOptions<PostgreSqlSampleDbContext> options) : SampleDbContext(options);
