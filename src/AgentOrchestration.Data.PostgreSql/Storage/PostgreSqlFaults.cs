using AgentOrchestration.Data.Faults;
using Npgsql;

namespace AgentOrchestration.Data.PostgreSql.Storage;

/// <summary>Which Npgsql exceptions are faults of the connection or server rather than of the request.</summary>
internal static class PostgreSqlFaults
{
    public static FaultKind Classify(Exception exception) => exception switch
    {
        PostgresException postgres => IsTransientState(postgres.SqlState) || postgres.IsTransient ? FaultKind.Transient : FaultKind.None,

        // A broken socket, a timeout, a connection refused while the server restarts.
        NpgsqlException npgsql => npgsql.IsTransient ? FaultKind.Transient : FaultKind.None,

        // Committing or rolling back a transaction whose connection broke underneath: Npgsql disposed it already.
        ObjectDisposedException { ObjectName: nameof(NpgsqlTransaction) or nameof(NpgsqlConnection) } => FaultKind.Transient,
        _ => FaultKind.None,
    };

    /// <summary>
    /// 08: connection exceptions; 53: insufficient resources (too many connections, out of memory or disk); 57P01-57P03:
    /// administrator shutdown, crash shutdown, cannot connect now (starting up or shutting down); 58: system (I/O)
    /// errors; 40001, 40P01: serialization failure and deadlock, which rolled the transaction back.
    /// </summary>
    private static bool IsTransientState(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal)
        || sqlState.StartsWith("53", StringComparison.Ordinal)
        || sqlState.StartsWith("58", StringComparison.Ordinal)
        || sqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
            or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected;
}
