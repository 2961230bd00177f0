namespace AgentOrchestration.Data.PostgreSql.Storage;

/// <summary>
/// The enum CHECKs' PostgreSQL form: one constant array, <c>"status"::text = ANY ('{"todo","done"}'::text[])</c>, where
/// the portable <c>"status" IN ('todo', 'done')</c> is stored as an array built from one casted constant per value.
/// PostgreSQL reads a table's CHECK expressions back from their stored text and prepares them again in every statement
/// that writes the table, so the smaller expression makes each write of a work item or an assignment cheaper (see
/// docs/performance.md). Both forms accept exactly the same values.
/// </summary>
internal static class EnumChecks
{
    /// <summary>The CHECK that keeps <paramref name="column"/> to <paramref name="values"/>.</summary>
    /// <param name="column">The column.</param>
    /// <param name="values">Its stored values: lowercase snake_case, never empty.</param>
    /// <returns>The constraint's SQL.</returns>
    public static string Sql(string column, IReadOnlyList<string> values)
    {
        foreach (var value in values)
        {
            // Quoted inside the array literal, so even a value spelled like NULL stays text; nothing else may need escaping.
            if (value.Length == 0 || !value.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
            {
                throw new InvalidOperationException($"The stored enum value '{value}' of column '{column}' is not lowercase snake_case (a-z, 0-9, _), so it cannot be written into an array literal as it is.");
            }
        }

        return $"\"{column}\"::text = ANY ('{{{string.Join(',', values.Select(v => $"\"{v}\""))}}}'::text[])";
    }
}
