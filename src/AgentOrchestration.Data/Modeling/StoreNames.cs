using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace AgentOrchestration.Data.Modeling;

/// <summary>
/// Delimited table and column names read from the context's model, for the raw SQL of claims and locks:
/// a host's schema, prefix or renames apply to it as they do to EF Core's own SQL.
/// </summary>
internal sealed class StoreNames(DbContext context)
{
    private readonly IModel model = context.Model;
    private readonly ISqlGenerationHelper sql = context.GetService<ISqlGenerationHelper>();

    public string Table<TEntity>() => Table(typeof(TEntity));

    public string Table(Type entity)
    {
        var entityType = model.FindEntityType(entity) ?? throw new InvalidOperationException($"The model has no entity '{entity.Name}': call ApplyAgentOrchestration() in OnModelCreating.");
        return sql.DelimitIdentifier(entityType.GetTableName()!, entityType.GetSchema());
    }

    public string Column<TEntity>(string propertyName)
    {
        var entityType = model.FindEntityType(typeof(TEntity))!;
        var property = entityType.FindProperty(propertyName) ?? throw new InvalidOperationException($"'{typeof(TEntity).Name}' has no property '{propertyName}'.");
        return sql.DelimitIdentifier(property.GetColumnName(StoreObjectIdentifier.Table(entityType.GetTableName()!, entityType.GetSchema()))!);
    }

    public string ComplexColumn<TEntity>(string complexPropertyName)
    {
        var entityType = model.FindEntityType(typeof(TEntity))!;
        var complex = entityType.FindComplexProperty(complexPropertyName) ?? throw new InvalidOperationException($"'{typeof(TEntity).Name}' has no complex property '{complexPropertyName}'.");
        return sql.DelimitIdentifier(complex.ComplexType.GetContainerColumnName()!);
    }
}
