using AgentOrchestration.Data;
using AgentOrchestration.Data.Configurations;
using AgentOrchestration.Data.Modeling;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Adds the AgentOrchestration.Data model to a <see cref="ModelBuilder"/>.</summary>
public static class AgentOrchestrationModelBuilderExtensions
{
    /// <summary>
    /// Adds every AgentOrchestration.Data table, key, index and constraint to the model. Call it from
    /// <see cref="DbContext.OnModelCreating(ModelBuilder)"/> of a host's own context, then generate migrations with <c>dotnet ef</c>.
    /// </summary>
    /// <param name="modelBuilder">The model builder.</param>
    /// <param name="configure">Sets the schema or a table prefix; <see langword="null"/> keeps the defaults.</param>
    /// <returns>The same model builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="modelBuilder"/> is <see langword="null"/>.</exception>
    public static ModelBuilder ApplyAgentOrchestration(this ModelBuilder modelBuilder, Action<AgentOrchestrationModelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        var options = new AgentOrchestrationModelOptions();
        configure?.Invoke(options);
        return ApplyAgentOrchestration(modelBuilder, options, MigrationStage.Latest);
    }

    internal static ModelBuilder ApplyAgentOrchestration(ModelBuilder modelBuilder, AgentOrchestrationModelOptions options, MigrationStage stage)
    {
        var names = new SchemaNames(options);
        modelBuilder
            .ApplyConfiguration(new ProjectConfiguration(names))
            .ApplyConfiguration(new SprintConfiguration(names))
            .ApplyConfiguration(new WorkItemConfiguration(names))
            .ApplyConfiguration(new WorkItemDependencyConfiguration(names))
            .ApplyConfiguration(new AgentProfileConfiguration(names))
            .ApplyConfiguration(new AgentCapabilityConfiguration(names))
            .ApplyConfiguration(new TaskAssignmentConfiguration(names))
            .ApplyConfiguration(new BacklogItemConfiguration(names))
            .ApplyConfiguration(new AgentSessionConfiguration(names))
            .ApplyConfiguration(new QaResultConfiguration(names))
            .ApplyConfiguration(new FileLockConfiguration(names))
            .ApplyConfiguration(new OrchestrationEventConfiguration(names, ModelProvider.IsPostgreSql(modelBuilder)));
        MigrationStaging.Apply(modelBuilder, names, stage);
        ModelFinisher.Finish(modelBuilder, names);
        return modelBuilder;
    }
}
