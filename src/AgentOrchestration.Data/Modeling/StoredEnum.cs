using System.Collections.Concurrent;
using System.Text;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace AgentOrchestration.Data.Modeling;

/// <summary>Maps enum members to their stored lowercase snake_case strings (<c>InProgress</c> is stored as <c>in_progress</c>).</summary>
internal static class StoredEnum
{
    private static readonly ConcurrentDictionary<Type, (Dictionary<object, string> ToStore, Dictionary<string, object> FromStore)> Maps = new();

    public static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0)
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    public static IReadOnlyCollection<string> Values(Type enumType) => Map(enumType).ToStore.Values;

    public static string ToStore<TEnum>(TEnum value)
        where TEnum : struct, Enum =>
        Map(typeof(TEnum)).ToStore.TryGetValue(value, out var stored)
            ? stored
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"'{value}' is not a defined {typeof(TEnum).Name}. Allowed: {string.Join(", ", Enum.GetNames<TEnum>())}.");

    public static TEnum FromStore<TEnum>(string value)
        where TEnum : struct, Enum =>
        Map(typeof(TEnum)).FromStore.TryGetValue(value, out var member)
            ? (TEnum)member
            : throw new InvalidOperationException($"The stored value '{value}' is not a known {typeof(TEnum).Name}. Allowed: {string.Join(", ", Values(typeof(TEnum)))}.");

    private static (Dictionary<object, string> ToStore, Dictionary<string, object> FromStore) Map(Type enumType) =>
        Maps.GetOrAdd(enumType, static type =>
        {
            var to = new Dictionary<object, string>();
            var from = new Dictionary<string, object>(StringComparer.Ordinal);
            foreach (var member in Enum.GetValues(type))
            {
                var stored = ToSnakeCase(Enum.GetName(type, member)!);
                to[member] = stored;
                from[stored] = member;
            }

            return (to, from);
        });
}

/// <summary>A value converter between an enum and its stored snake_case string.</summary>
internal sealed class StoredEnumConverter<TEnum>() : ValueConverter<TEnum, string>(v => StoredEnum.ToStore(v), v => StoredEnum.FromStore<TEnum>(v))
    where TEnum : struct, Enum;
