namespace AgentOrchestration.Data.Configurations;

/// <summary>Predicates of partial indexes, written so that SQLite and PostgreSQL read them alike.</summary>
internal static class IndexFilters
{
    /// <summary>
    /// An index on a nullable column that is only ever searched for a value (a lookup by key, or a foreign key's cascade
    /// and check) holds only the rows that have one: both providers use it for <c>column = value</c>, and a write of a
    /// row without a value (most items have no parent, sprint, backlog item or session) costs no entry in it.
    /// </summary>
    public static string NotNull(string column) => $"\"{column}\" IS NOT NULL";
}
