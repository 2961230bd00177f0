using AgentOrchestration.Data.Entities;
using Microsoft.EntityFrameworkCore.Metadata;

namespace AgentOrchestration.Data.Internal;

/// <summary>The PostgreSQL-only parts of the event log that make its feed safe to follow.</summary>
internal static class EventFeedSchema
{
    /// <summary>The shadow property holding the writing transaction's id (<c>xid8</c>), PostgreSQL only.</summary>
    public const string TransactionIdProperty = "TransactionId";

    /// <summary>The model annotation on the event entity that names its channel, so writers and listeners agree.</summary>
    public const string ChannelAnnotation = "AgentOrchestration:EventChannel";

    /// <summary>The <c>LISTEN/NOTIFY</c> channel of a model's event log: its schema-qualified table name, so logs in one database never cross.</summary>
    public static string Channel(SchemaNames names) =>
        (names.Schema is null ? string.Empty : names.Schema + ".") + names.Table("orchestration_events");

    /// <summary>The channel a built model's event log notifies on.</summary>
    public static string Channel(IModel model) =>
        model.FindEntityType(typeof(OrchestrationEvent))?.FindAnnotation(ChannelAnnotation)?.Value as string
        ?? throw new InvalidOperationException("The model's event log has no notification channel: call ApplyAgentOrchestration() in OnModelCreating of a PostgreSQL context.");

    /// <summary>
    /// The default of <c>transaction_id</c>: the inserting transaction's id, and a notification on the log's channel.
    /// </summary>
    /// <remarks>
    /// Notifying from the column default makes every insert announce itself, whoever writes it (the library's EF saves,
    /// its raw claim SQL, a host's own code), with no extra round trip; PostgreSQL delivers the notification only when
    /// the transaction commits and folds repeats within one transaction into one.
    /// </remarks>
    public static string TransactionIdDefaultSql(SchemaNames names) =>
        $"(pg_notify('{Channel(names).Replace("'", "''", StringComparison.Ordinal)}', '')::text || pg_current_xact_id()::text)::xid8";
}
