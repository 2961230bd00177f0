using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Modeling;

/// <summary>Which database a model is being built for, read from the provider's own model conventions.</summary>
internal static class ModelProvider
{
    // ApplyAgentOrchestration runs inside a host's OnModelCreating without its context, but Npgsql's model-initialized
    // convention has already annotated the model by then (its value generation strategy), on every Npgsql version.
    public static bool IsPostgreSql(ModelBuilder modelBuilder) =>
        modelBuilder.Model.GetAnnotations().Any(a => a.Name.StartsWith("Npgsql:", StringComparison.Ordinal));
}
