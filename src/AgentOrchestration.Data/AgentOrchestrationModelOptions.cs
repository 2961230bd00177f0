namespace AgentOrchestration.Data;

/// <summary>Options for <c>ModelBuilder.ApplyAgentOrchestration</c>: where the library's tables live in a host's database.</summary>
public sealed class AgentOrchestrationModelOptions
{
    /// <summary>Gets or sets the database schema of the library's tables (PostgreSQL); <see langword="null"/> uses the default schema.</summary>
    public string? Schema { get; set; }

    /// <summary>Gets or sets a prefix for the names of the library's tables, keys, indexes and constraints, such as <c>ao_</c>; empty by default.</summary>
    public string TablePrefix { get; set; } = string.Empty;
}
