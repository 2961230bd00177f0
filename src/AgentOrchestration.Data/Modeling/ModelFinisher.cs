using AgentOrchestration.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace AgentOrchestration.Data.Modeling;

/// <summary>
/// The rules every library table follows, applied once after the per-entity configurations so they cannot drift:
/// explicit snake_case names, enums as lowercase snake_case strings with CHECK constraints, sortable UTC timestamps.
/// </summary>
internal static class ModelFinisher
{
    public const int EnumLength = 32;

    /// <summary>Applies the rules to every library type of <paramref name="modelBuilder"/>.</summary>
    /// <param name="modelBuilder">The model being built.</param>
    /// <param name="names">The model's schema and prefix.</param>
    /// <param name="enumCheck">The database's own form of an enum CHECK (column, values), or <see langword="null"/> for the portable <c>IN</c> list.</param>
    public static void Finish(ModelBuilder modelBuilder, SchemaNames names, Func<string, IReadOnlyList<string>, string?> enumCheck)
    {
        foreach (var entityType in modelBuilder.Model.GetEntityTypes().Where(IsLibraryType).ToList())
        {
            var table = entityType.GetTableName()!;
            var unprefixed = table[names.Prefix.Length..];
            foreach (var property in entityType.GetDeclaredProperties())
            {
                if (((IConventionProperty)property).GetColumnNameConfigurationSource() != ConfigurationSource.Explicit)
                {
                    property.SetColumnName(StoredEnum.ToSnakeCase(property.Name));
                }

                ConfigureScalar(property);
                AddEnumCheck(entityType, property, names, unprefixed, enumCheck);
            }

            // Time-ordered keys append to B-tree indexes and sort by creation on both providers.
            if (entityType.FindPrimaryKey() is { Properties: [{ ClrType: var keyType } key] } && keyType == typeof(Guid))
            {
                key.SetValueGeneratorFactory(static (_, _) => new UuidV7ValueGenerator());
            }

            foreach (var complexProperty in entityType.GetDeclaredComplexProperties())
            {
                ConfigureJson(complexProperty.ComplexType);
            }

            foreach (var foreignKey in entityType.GetDeclaredForeignKeys())
            {
                if (foreignKey.GetConstraintName() is not { } name || !name.StartsWith(names.Prefix + "fk_", StringComparison.Ordinal))
                {
                    foreignKey.SetConstraintName(names.ForeignKey(unprefixed, foreignKey.Properties[0].GetColumnName()));
                }
            }

            foreach (var index in entityType.GetDeclaredIndexes())
            {
                if (((IConventionIndex)index).GetDatabaseNameConfigurationSource() != ConfigurationSource.Explicit)
                {
                    index.SetDatabaseName(names.Index($"ix_{unprefixed}_{string.Join('_', index.Properties.Select(p => p.GetColumnName()))}"));
                }
            }
        }
    }

    private static bool IsLibraryType(IMutableEntityType entityType) =>
        entityType.ClrType.Assembly == typeof(WorkItem).Assembly && !entityType.IsOwned();

    private static void ConfigureJson(IMutableComplexType complexType)
    {
        foreach (var property in complexType.GetDeclaredProperties())
        {
            property.SetJsonPropertyName(StoredEnum.ToSnakeCase(property.Name));
            ConfigureScalar(property);
        }

        foreach (var nested in complexType.GetDeclaredComplexProperties())
        {
            nested.SetJsonPropertyName(StoredEnum.ToSnakeCase(nested.Name));
            ConfigureJson(nested.ComplexType);
        }
    }

    private static void ConfigureScalar(IMutableProperty property)
    {
        var type = Nullable.GetUnderlyingType(property.ClrType) ?? property.ClrType;
        if (type == typeof(DateTimeOffset))
        {
            property.SetValueConverter(UtcTimestampConverter.Instance);
        }
        else if (type.IsEnum)
        {
            property.SetValueConverter((ValueConverter)Activator.CreateInstance(typeof(StoredEnumConverter<>).MakeGenericType(type))!);
            property.SetMaxLength(EnumLength);
        }

        // A default value equal to the CLR default makes EF skip explicit writes of that value (the "sentinel" trap):
        // with an impossible sentinel, whatever the caller sets is always written.
        if (property.FindAnnotation(RelationalAnnotationNames.DefaultValue) is not null && type != typeof(bool))
        {
            property.Sentinel = type.IsEnum ? Enum.ToObject(type, -1) : type == typeof(int) ? int.MinValue : type == typeof(long) ? long.MinValue : property.Sentinel;
        }
    }

    private static void AddEnumCheck(IMutableEntityType entityType, IMutableProperty property, SchemaNames names, string table, Func<string, IReadOnlyList<string>, string?> enumCheck)
    {
        var type = Nullable.GetUnderlyingType(property.ClrType) ?? property.ClrType;
        if (!type.IsEnum)
        {
            return;
        }

        var column = property.GetColumnName();
        var values = StoredEnum.Values(type).ToList();
        entityType.AddCheckConstraint(names.Check(table, column), enumCheck(column, values) ?? $"\"{column}\" IN ({string.Join(", ", values.Select(v => $"'{v}'"))})");
    }
}
