using AgentOrchestration.Data;
using AgentOrchestration.Data.Configurations;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Storage;

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
        return ApplyAgentOrchestration(modelBuilder, options, staging: null);
    }

    /// <param name="modelBuilder">The model builder.</param>
    /// <param name="options">The schema and prefix.</param>
    /// <param name="staging">
    /// Only for the design-time factories authoring the shipped migrations: strips what later migrations add (see
    /// <c>MigrationStaging</c> in the provider packages' <c>Design</c> folders).
    /// </param>
    internal static ModelBuilder ApplyAgentOrchestration(ModelBuilder modelBuilder, AgentOrchestrationModelOptions options, Action<ModelBuilder, SchemaNames>? staging)
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
            .ApplyConfiguration(new OrchestrationEventConfiguration(names));
        var providers = OrchestrationProviders.Installed();
        foreach (var provider in providers)
        {
            provider.ConfigureModel(modelBuilder, names);
        }

        staging?.Invoke(modelBuilder, names);
        ModelFinisher.Finish(modelBuilder, names, (column, values) => providers.Select(p => p.EnumCheckSql(modelBuilder, column, values)).FirstOrDefault(sql => sql is not null));
        return modelBuilder;
    }
}
