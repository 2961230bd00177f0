namespace AgentOrchestration.Data.Modeling;

/// <summary>
/// Every physical name the library creates, in one place. Names are set explicitly so a host's naming conventions
/// (for example EFCore.NamingConventions) cannot rename what other tools read.
/// </summary>
internal sealed class SchemaNames(AgentOrchestrationModelOptions options)
{
    public string? Schema { get; } = string.IsNullOrWhiteSpace(options.Schema) ? null : options.Schema;

    public string Prefix { get; } = options.TablePrefix ?? string.Empty;

    public string Table(string table) => Prefix + table;

    public string PrimaryKey(string table) => $"{Prefix}pk_{table}";

    public string ForeignKey(string table, string column) => $"{Prefix}fk_{table}_{column}";

    public string Index(string name) => Prefix + name;

    public string Check(string table, string column) => $"{Prefix}ck_{table}_{column}";
}
