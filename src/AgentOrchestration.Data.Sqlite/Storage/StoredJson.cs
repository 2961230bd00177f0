using System.Globalization;
using System.Text;
using System.Text.Json;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using static AgentOrchestration.Data.Sqlite.Claims.SqliteStatements;

namespace AgentOrchestration.Data.Sqlite.Storage;

/// <summary>
/// The JSON columns the plain SQLite statements write, in the exact text EF Core writes them (its property order, its
/// writer's escaping: System.Text.Json's default encoder, which SQLite's <c>json_object</c> does not reproduce for
/// quotes and non-ASCII text), so a row written by either path reads and compares the same.
/// </summary>
internal static class StoredJson
{
    /// <summary>What an event payload written with a <see langword="null"/> agent starts with; the agent is the first property.</summary>
    public const string NoAgentHead = "{\"agent_id\":null";

    /// <summary>An <c>orchestration_events.payload</c>: <see cref="EventPayload"/>'s properties as EF Core orders them (scalars by name, then <c>data</c>).</summary>
    public static string Payload(Guid? agentId, string? sessionId, string? to, params (string Key, string? Value)[] data)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            WriteId(json, "agent_id", agentId);
            json.WriteNull("from");
            json.WriteNull("reason");
            WriteText(json, "session_id", sessionId);
            WriteText(json, "to", to);
            json.WriteNull("work_item_id");
            json.WriteStartArray("data");
            foreach (var (key, value) in data)
            {
                if (value is null)
                {
                    continue;
                }

                json.WriteStartObject();
                json.WriteString("key", key);
                json.WriteString("value", value);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>
    /// The payload of <see cref="Payload"/> after its agent, for a statement that reads the agent from a row and puts
    /// <c>{"agent_id":</c> and the agent's JSON value in front.
    /// </summary>
    public static string PayloadAfterAgent(string? sessionId, string? to, params (string Key, string? Value)[] data) =>
        Payload(null, sessionId, to, data)[NoAgentHead.Length..];

    /// <summary>
    /// <c>agent_sessions.file_locks</c> as EF Core writes it: the locks by ordinal path, each <c>expires_at</c> (in the
    /// text the column stores, as SQLite stores times), <c>lock_type</c> and <c>path</c>.
    /// </summary>
    public static string LockList(List<StoredLock>? locks)
    {
        if (locks is null || locks.Count == 0)
        {
            return "[]";
        }

        locks.Sort(static (a, b) => string.CompareOrdinal(a.Path, b.Path));
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var held in locks)
            {
                json.WriteStartObject();
                WriteText(json, "expires_at", held.ExpiresAt);
                json.WriteString("lock_type", held.LockType);
                json.WriteString("path", held.Path);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Reads <c>agent_sessions.file_locks</c> as EF Core does; <see langword="null"/> for SQL NULL.</summary>
    public static List<SessionFileLock>? ReadLockList(string? text)
    {
        if (text is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(text);
        var locks = new List<SessionFileLock>();
        foreach (var element in document.RootElement.EnumerateArray())
        {
            locks.Add(new SessionFileLock
            {
                Path = element.GetProperty("path").GetString()!,
                LockType = StoredEnum.FromStore<FileLockType>(element.GetProperty("lock_type").GetString()!),
                ExpiresAt = element.TryGetProperty("expires_at", out var at) && at.ValueKind == JsonValueKind.String ? Time(at.GetString()!) : null,
            });
        }

        return locks;
    }

    /// <summary>A time as SQLite stores it (<see cref="At"/>'s text), read back as EF Core reads it.</summary>
    public static DateTimeOffset Time(string stored) =>
        UtcTimestampConverter.FromStore(DateTime.Parse(stored, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal));

    private static void WriteId(Utf8JsonWriter json, string name, Guid? id)
    {
        if (id is { } value)
        {
            json.WriteString(name, Id(value));
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void WriteText(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    /// <summary>One entry of a session's lock list, its times in the stored text.</summary>
    public readonly record struct StoredLock(string Path, string LockType, string? ExpiresAt);
}
