using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace AgentOrchestration.Data.Modeling;

/// <summary>
/// The steps of the shipped migrations, in the order the seeds tell them. Only the design-time factories that author
/// the turnkey migrations ever build an earlier stage; every running model is <see cref="Latest"/>.
/// </summary>
internal enum MigrationStage
{
    /// <summary>The tables the seeds call existing: projects, sprints and work items.</summary>
    Baseline = 1,

    /// <summary>Seed 000, phase 2: agent_profiles.</summary>
    AgentProfiles = 2,

    /// <summary>Seed 000, phase 3: the work item orchestration fields.</summary>
    WorkItemOrchestrationFields = 3,

    /// <summary>Seed 000, phase 4: task_assignments and agent_capabilities.</summary>
    AssignmentsAndCapabilities = 4,

    /// <summary>Seed 000, phase 5: the key indexes.</summary>
    KeyIndexes = 5,

    /// <summary>Seed 001: backlog, agent_sessions, qa_results and file_locks.</summary>
    DashboardTables = 6,

    /// <summary>Seed 001: the task and story columns.</summary>
    TaskAndStoryColumns = 7,

    /// <summary>The library's own additions: dependencies, the event log, claims and leases.</summary>
    Latest = 8,
}

/// <summary>Strips from the model what a later stage adds, so each shipped migration is generated from the model of its step.</summary>
internal static class MigrationStaging
{
    /// <summary>The environment variable the design-time factories read; unset means <see cref="MigrationStage.Latest"/>.</summary>
    public const string EnvironmentVariable = "AGENT_ORCHESTRATION_MIGRATION_STAGE";

    public static MigrationStage FromEnvironment() =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value
            ? Enum.Parse<MigrationStage>(value, ignoreCase: true)
            : MigrationStage.Latest;

    public static void Apply(ModelBuilder modelBuilder, SchemaNames names, MigrationStage stage)
    {
        if (stage < MigrationStage.Latest)
        {
            modelBuilder.Ignore<WorkItemDependency>().Ignore<OrchestrationEvent>();
            modelBuilder.Model.RemoveSequence(EventFeedSchema.HorizonSequenceName(names), names.Schema);
            modelBuilder.Entity<WorkItem>(e =>
            {
                e.Ignore(x => x.RequiredCapabilities).Ignore(x => x.AssignedAgent).Ignore(x => x.AssignedAgentId)
                    .Ignore(x => x.CurrentAssignment).Ignore(x => x.CurrentAssignmentId);
                RemoveIndexes(e.Metadata, names, "ix_work_items_claim", "ix_work_items_status_updated_at");
            });
            modelBuilder.Entity<AgentProfile>().Ignore(x => x.MaxConcurrentTasks);
            modelBuilder.Entity<TaskAssignment>(e =>
            {
                e.Ignore(x => x.LeaseExpiresAt).Ignore(x => x.FencingToken);
                RemoveIndexes(e.Metadata, names, "ix_task_assignments_agent_status", "ix_task_assignments_lease");
            });
        }

        if (stage < MigrationStage.TaskAndStoryColumns)
        {
            modelBuilder.Entity<WorkItem>().Ignore(x => x.QaStatus).Ignore(x => x.SuccessCriteriaMet).Ignore(x => x.AssignedAgentSession)
                .Ignore(x => x.CreatedFromBacklog).Ignore(x => x.CreatedFromBacklogId).Ignore(x => x.PrimeApproved);
        }

        if (stage < MigrationStage.DashboardTables)
        {
            modelBuilder.Ignore<QaResult>().Ignore<FileLock>().Ignore<AgentSession>().Ignore<BacklogItem>();
        }

        if (stage < MigrationStage.KeyIndexes)
        {
            RemoveIndexes(modelBuilder.Entity<AgentProfile>().Metadata, names, "agent_profiles_type_status");
            RemoveIndexes(modelBuilder.Entity<WorkItem>().Metadata, names, "work_items_assignee", "work_items_delegation_status", "work_items_project_status");
            RemoveIndexes(modelBuilder.Entity<TaskAssignment>().Metadata, names,
                "task_assignments_work_item", "task_assignments_agent", "task_assignments_status", "task_assignments_assigned_at");
        }

        if (stage < MigrationStage.AssignmentsAndCapabilities)
        {
            var agent = modelBuilder.Entity<AgentProfile>().Metadata;
            foreach (var skip in agent.GetDeclaredSkipNavigations().ToList())
            {
                // Ignoring one side of a many-to-many leaves the other; remove both.
                var inverse = skip.Inverse;
                skip.SetInverse(null);
                if (inverse is not null)
                {
                    inverse.SetInverse(null);
                    inverse.DeclaringEntityType.RemoveSkipNavigation(inverse);
                }

                agent.RemoveSkipNavigation(skip);
            }

            modelBuilder.Entity<AgentProfile>().Ignore(x => x.AssignedTasks);
            modelBuilder.Ignore<TaskAssignment>().Ignore<AgentCapability>();
        }

        if (stage < MigrationStage.WorkItemOrchestrationFields)
        {
            modelBuilder.Entity<WorkItem>().Ignore(x => x.DelegationStatus).Ignore(x => x.DelegationContext)
                .Ignore(x => x.DelegationHistory).Ignore(x => x.EstimatedHours).Ignore(x => x.ActualHours);
        }

        if (stage < MigrationStage.AgentProfiles)
        {
            modelBuilder.Ignore<AgentProfile>();
        }

        RemoveChecksOnMissingColumns(modelBuilder);
    }

    /// <summary>A CHECK on a column that a later step adds belongs to that step.</summary>
    private static void RemoveChecksOnMissingColumns(ModelBuilder modelBuilder)
    {
        foreach (var entityType in modelBuilder.Model.GetEntityTypes())
        {
            var columns = entityType.GetProperties()
                .Select(p => ((IConventionProperty)p).GetColumnNameConfigurationSource() == ConfigurationSource.Explicit ? p.GetColumnName() : StoredEnum.ToSnakeCase(p.Name))
                .ToHashSet(StringComparer.Ordinal);
            foreach (var check in entityType.GetDeclaredCheckConstraints().ToList())
            {
                var referenced = System.Text.RegularExpressions.Regex.Matches(check.Sql, "\"([a-z_]+)\"").Select(m => m.Groups[1].Value);
                if (referenced.Any(c => !columns.Contains(c)))
                {
                    entityType.RemoveCheckConstraint(check.ModelName);
                }
            }
        }
    }

    private static void RemoveIndexes(Microsoft.EntityFrameworkCore.Metadata.IMutableEntityType entityType, SchemaNames names, params string[] indexNames)
    {
        foreach (var index in entityType.GetDeclaredIndexes().Where(i => indexNames.Contains(i.GetDatabaseName()?[names.Prefix.Length..])).ToList())
        {
            entityType.RemoveIndex(index);
        }
    }
}
