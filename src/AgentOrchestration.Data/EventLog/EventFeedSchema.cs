using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using Microsoft.EntityFrameworkCore.Metadata;

namespace AgentOrchestration.Data.EventLog;

/// <summary>The PostgreSQL-only parts of the event log that make its feed safe to follow.</summary>
/// <remarks>
/// The feed is ordered by a per-transaction key (<c>transaction_id</c>) and a reader only passes keys below a horizon
/// that no transaction still writing events can fall behind. Three pieces, all carried by the model so embedded hosts'
/// own migrations create them too:
/// <list type="bullet">
/// <item>the writer lock, a shared transaction-level advisory lock every transaction takes at its first event insert
/// (in the column default), so a reader can tell event writers from every other open transaction of the server;</item>
/// <item>the horizon sequence, never incremented: readers raise it (<c>setval</c>, serialised by the publisher lock) to
/// the horizon they read up to. Sequences are not transactional, so a writer sees the latest value under any isolation
/// level;</item>
/// <item>the key, taken right after the writer lock: the larger of the transaction's id and the horizon sequence, then
/// kept for the rest of the transaction in a transaction-local setting.</item>
/// </list>
/// A transaction that took its id long ago (an earlier write, maybe a host's) and writes its first event after a reader
/// passed that id therefore gets a key at or above everything the reader passed, never one behind it.
/// </remarks>
internal static class EventFeedSchema
{
    /// <summary>The shadow property holding the writing transaction's feed key (<c>xid8</c>), PostgreSQL only.</summary>
    public const string TransactionIdProperty = "TransactionId";

    /// <summary>The model annotation on the event entity that names its channel, so writers and listeners agree.</summary>
    public const string ChannelAnnotation = "AgentOrchestration:EventChannel";

    /// <summary>The model annotation on the event entity holding the horizon sequence's delimited, schema-qualified name.</summary>
    public const string HorizonAnnotation = "AgentOrchestration:EventHorizon";

    /// <summary>The first key of the feed's advisory locks ('AOEV'): the writer lock.</summary>
    public const int WriterLockClass = 0x414F4556;

    /// <summary>The first key of the lock that serialises readers raising the horizon sequence ('AOEW').</summary>
    public const int PublisherLockClass = 0x414F4557;

    /// <summary>The <c>LISTEN/NOTIFY</c> channel of a model's event log: its schema-qualified table name, so logs in one database never cross.</summary>
    public static string Channel(SchemaNames names) =>
        (names.Schema is null ? string.Empty : names.Schema + ".") + names.Table("orchestration_events");

    /// <summary>The channel a built model's event log notifies on.</summary>
    public static string Channel(IModel model) =>
        Annotation(model, ChannelAnnotation);

    /// <summary>The horizon sequence's name (its schema is the log's).</summary>
    public static string HorizonSequenceName(SchemaNames names) => names.Table("orchestration_events_horizon");

    /// <summary>The horizon sequence as a delimited SQL name.</summary>
    public static string HorizonSequence(SchemaNames names) =>
        (names.Schema is null ? string.Empty : Delimit(names.Schema) + ".") + Delimit(HorizonSequenceName(names));

    /// <summary>The horizon sequence of a built model's event log, as a delimited SQL name.</summary>
    public static string HorizonSequence(IModel model) => Annotation(model, HorizonAnnotation);

    /// <summary>
    /// The second key of the feed's advisory locks: one per log (a hash of its channel), so logs in one database, under
    /// other prefixes or schemas, never hold each other back. Non-negative, so <c>pg_locks.objid</c> shows it as is.
    /// </summary>
    public static int LockKey(string channel) =>
        BinaryPrimitives.ReadInt32LittleEndian(SHA256.HashData(Encoding.UTF8.GetBytes(channel))) & int.MaxValue;

    /// <summary>
    /// The default of <c>transaction_id</c>: the transaction's feed key, and a notification on the log's channel.
    /// </summary>
    /// <remarks>
    /// Notifying from the column default makes every insert announce itself, whoever writes it (the library's EF saves,
    /// its raw claim SQL, a host's own code), with no extra round trip; PostgreSQL delivers the notification only when
    /// the transaction commits and folds repeats within one transaction into one. The first insert of a transaction
    /// takes the writer lock and then reads the horizon sequence: the lock's result is part of the sequence's name, so
    /// the order is a data dependency, not an accident of evaluation. Later inserts reuse the key from the
    /// transaction-local setting; a rolled-back savepoint drops both the setting and the lock, and the next insert
    /// takes them again. A DEFAULT cannot hold a subquery or call a function of the library's own, hence one expression,
    /// and <c>pg_sequence_last_value</c> (what the <c>pg_sequences</c> view reads) rather than a SELECT from the sequence.
    /// </remarks>
    public static string TransactionIdDefaultSql(SchemaNames names)
    {
        var channel = Channel(names);
        var setting = Setting(channel);
        var sequence = HorizonSequence(names).Replace("'", "''", StringComparison.Ordinal);
        return $"(pg_notify('{channel.Replace("'", "''", StringComparison.Ordinal)}', '')::text || "
            + $"COALESCE(NULLIF(current_setting('{setting}', true), ''), set_config('{setting}', "
            + $"greatest(pg_current_xact_id(), COALESCE(pg_sequence_last_value(('{sequence}' || "
            + $"pg_advisory_xact_lock_shared({WriterLockClass}, {LockKey(channel)})::text)::regclass), 0)::text::xid8)::text, true)))::xid8";
    }

    private static string Setting(string channel) => $"agent_orchestration.event_key_{LockKey(channel):x8}";

    private static string Delimit(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Annotation(IModel model, string name) =>
        model.FindEntityType(typeof(OrchestrationEvent))?.FindAnnotation(name)?.Value as string
        ?? throw new InvalidOperationException("The model's event log has no feed metadata: call ApplyAgentOrchestration() in OnModelCreating of a PostgreSQL context.");
}
