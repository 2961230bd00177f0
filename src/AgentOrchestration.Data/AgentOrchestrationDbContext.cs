using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data;

/// <summary>
/// The library-owned context used in turnkey mode (<c>UseSqlite</c> or <c>UsePostgreSql</c>), whose migrations ship in the provider packages.
/// Hosts with their own context call <c>ModelBuilder.ApplyAgentOrchestration</c> instead.
/// </summary>
public class AgentOrchestrationDbContext : DbContext
{
    /// <summary>The name of the migrations history table of the shipped migrations.</summary>
    public const string MigrationsHistoryTable = "__agent_orchestration_migrations";

    /// <summary>Initializes a new instance of the <see cref="AgentOrchestrationDbContext"/> class.</summary>
    /// <param name="options">The options, with a provider configured.</param>
    public AgentOrchestrationDbContext(DbContextOptions<AgentOrchestrationDbContext> options)
        : base(options)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="AgentOrchestrationDbContext"/> class for a derived context.</summary>
    /// <param name="options">The options, with a provider configured.</param>
    protected AgentOrchestrationDbContext(DbContextOptions options)
        : base(options)
    {
    }

    /// <summary>Gets the projects.</summary>
    public DbSet<Project> Projects => Set<Project>();

    /// <summary>Gets the sprints.</summary>
    public DbSet<Sprint> Sprints => Set<Sprint>();

    /// <summary>Gets the work items: epics, stories, tasks and bugs.</summary>
    public DbSet<WorkItem> WorkItems => Set<WorkItem>();

    /// <summary>Gets the dependencies between work items.</summary>
    public DbSet<WorkItemDependency> WorkItemDependencies => Set<WorkItemDependency>();

    /// <summary>Gets the agent profiles.</summary>
    public DbSet<AgentProfile> AgentProfiles => Set<AgentProfile>();

    /// <summary>Gets the normalised agent capabilities.</summary>
    public DbSet<AgentCapability> AgentCapabilities => Set<AgentCapability>();

    /// <summary>Gets the task assignments.</summary>
    public DbSet<TaskAssignment> TaskAssignments => Set<TaskAssignment>();

    /// <summary>Gets the backlog items.</summary>
    public DbSet<BacklogItem> Backlog => Set<BacklogItem>();

    /// <summary>Gets the agent sessions.</summary>
    public DbSet<AgentSession> AgentSessions => Set<AgentSession>();

    /// <summary>Gets the QA results.</summary>
    public DbSet<QaResult> QaResults => Set<QaResult>();

    /// <summary>Gets the file locks.</summary>
    public DbSet<FileLock> FileLocks => Set<FileLock>();

    /// <summary>Gets the event log.</summary>
    public DbSet<OrchestrationEvent> Events => Set<OrchestrationEvent>();

    /// <summary>Gets or sets the migration step whose model this context builds; only the design-time factories set an earlier one.</summary>
    internal MigrationStage Stage { get; init; } = MigrationStage.Latest;

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        AgentOrchestrationModelBuilderExtensions.ApplyAgentOrchestration(modelBuilder, new AgentOrchestrationModelOptions(), Stage);
}
