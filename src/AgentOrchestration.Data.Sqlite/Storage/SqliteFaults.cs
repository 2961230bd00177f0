using AgentOrchestration.Data.Faults;
using Microsoft.Data.Sqlite;

namespace AgentOrchestration.Data.Sqlite.Storage;

/// <summary>Which SQLite exceptions are faults of the database file or its locking rather than of the request.</summary>
internal static class SqliteFaults
{
    private const int Busy = 5;
    private const int Locked = 6;
    private const int IoError = 10;
    private const int Protocol = 15;

    public static FaultKind Classify(Exception exception) => exception switch
    {
        // The write lock stayed taken for the connection's whole Default Timeout: waiting again would double the caller's limit.
        TimeoutException { InnerException: SqliteException { SqliteErrorCode: Busy or Locked } } => FaultKind.TransientExhausted,
        SqliteException { SqliteErrorCode: Busy or Locked or IoError or Protocol } => FaultKind.Transient,
        _ => FaultKind.None,
    };
}
