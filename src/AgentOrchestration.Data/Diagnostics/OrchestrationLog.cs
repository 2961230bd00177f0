using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using Microsoft.Extensions.Logging;

namespace AgentOrchestration.Data.Diagnostics;

/// <summary>
/// Every log message of the library, source-generated, with stable event ids (docs/observability.md has the table; an id
/// is never reused for another message). Levels are those a production host keeps: what an operator acts on (the reaper
/// returning work, a lost lease, a lock conflict, a retried fault) at Information or Warning; each successful hot-path call
/// and each refusal the caller already receives as an exception at Debug. Nothing here logs a connection string, a
/// payload or a secret: only ids, counts, paths and exception types and messages of the library's own refusals.
/// </summary>
internal static partial class OrchestrationLog
{
    // 1xxx: claims and leases.
    [LoggerMessage(EventId = 1001, EventName = "WorkClaimed", Level = LogLevel.Debug,
        Message = "Agent {AgentId} claimed {Count} work item(s) in project {ProjectId}, first {WorkItemId} with fencing token {FencingToken}")]
    public static partial void WorkClaimed(ILogger logger, Guid agentId, int count, Guid projectId, Guid workItemId, long fencingToken);

    [LoggerMessage(EventId = 1002, EventName = "NothingToClaim", Level = LogLevel.Debug,
        Message = "Agent {AgentId} found nothing to claim in project {ProjectId}")]
    public static partial void NothingToClaim(ILogger logger, Guid agentId, Guid projectId);

    [LoggerMessage(EventId = 1003, EventName = "ClaimRefused", Level = LogLevel.Debug,
        Message = "Claim by agent {AgentId} in project {ProjectId} refused ({Refusal}): {Reason}")]
    private static partial void ClaimRefusedCore(ILogger logger, Guid agentId, Guid projectId, string refusal, string reason);

    [LoggerMessage(EventId = 1004, EventName = "LeaseRenewed", Level = LogLevel.Debug,
        Message = "Lease on work item {WorkItemId} (fencing token {FencingToken}) renewed until {LeaseExpiresAt:O}")]
    public static partial void LeaseRenewed(ILogger logger, Guid workItemId, long fencingToken, DateTimeOffset leaseExpiresAt);

    [LoggerMessage(EventId = 1005, EventName = "WorkCompleted", Level = LogLevel.Debug,
        Message = "Work item {WorkItemId} (fencing token {FencingToken}) completed")]
    public static partial void WorkCompleted(ILogger logger, Guid workItemId, long fencingToken);

    [LoggerMessage(EventId = 1006, EventName = "LeaseReleased", Level = LogLevel.Debug,
        Message = "Lease on work item {WorkItemId} (fencing token {FencingToken}) released")]
    public static partial void LeaseReleased(ILogger logger, Guid workItemId, long fencingToken);

    [LoggerMessage(EventId = 1007, EventName = "LeaseLost", Level = LogLevel.Information,
        Message = "{Operation} of work item {WorkItemId} refused: the lease with fencing token {FencingToken} is lost ({Reason})")]
    private static partial void LeaseLostCore(ILogger logger, string operation, Guid workItemId, long fencingToken, string reason);

    [LoggerMessage(EventId = 1008, EventName = "LeaseOperationRefused", Level = LogLevel.Debug,
        Message = "{Operation} of work item {WorkItemId} (fencing token {FencingToken}) refused ({Refusal}): {Reason}")]
    private static partial void LeaseOperationRefusedCore(ILogger logger, string operation, Guid workItemId, long fencingToken, string refusal, string reason);

    // 2xxx: file locks.
    [LoggerMessage(EventId = 2001, EventName = "LocksAcquired", Level = LogLevel.Debug,
        Message = "Session {SessionId} holds {Count} lock(s) it asked for ({LockType})")]
    private static partial void LocksAcquiredCore(ILogger logger, string sessionId, int count, string lockType);

    [LoggerMessage(EventId = 2002, EventName = "LockConflict", Level = LogLevel.Information,
        Message = "Session {SessionId} was refused {Conflicts} lock conflict(s): {RequestedPath} overlaps {HeldPath} held by session {HolderSessionId}")]
    public static partial void LockConflict(ILogger logger, string sessionId, int conflicts, string requestedPath, string heldPath, string holderSessionId);

    [LoggerMessage(EventId = 2003, EventName = "LocksReleased", Level = LogLevel.Debug,
        Message = "Session {SessionId} released {Count} lock(s)")]
    public static partial void LocksReleased(ILogger logger, string sessionId, int count);

    [LoggerMessage(EventId = 2004, EventName = "LocksRenewed", Level = LogLevel.Debug,
        Message = "Session {SessionId} renewed {Count} lock(s)")]
    public static partial void LocksRenewed(ILogger logger, string sessionId, int count);

    [LoggerMessage(EventId = 2005, EventName = "LockOperationRefused", Level = LogLevel.Debug,
        Message = "{Operation} of locks for session {SessionId} refused ({Refusal}): {Reason}")]
    private static partial void LockOperationRefusedCore(ILogger logger, string operation, string sessionId, string refusal, string reason);

    // 3xxx: sessions and the reaper.
    [LoggerMessage(EventId = 3001, EventName = "HeartbeatRecorded", Level = LogLevel.Debug,
        Message = "Session {SessionId} heartbeat recorded")]
    public static partial void HeartbeatRecorded(ILogger logger, string sessionId);

    [LoggerMessage(EventId = 3002, EventName = "HeartbeatRefused", Level = LogLevel.Debug,
        Message = "Heartbeat of session {SessionId} refused ({Refusal}): {Reason}")]
    private static partial void HeartbeatRefusedCore(ILogger logger, string sessionId, string refusal, string reason);

    [LoggerMessage(EventId = 3003, EventName = "SessionsReaped", Level = LogLevel.Information,
        Message = "Reaper reaped {SessionsReaped} silent session(s) ({SessionIds}), released {LocksReleased} lock(s) and returned {WorkItemsReturned} work item(s)")]
    private static partial void SessionsReapedCore(ILogger logger, int sessionsReaped, string sessionIds, int locksReleased, int workItemsReturned);

    [LoggerMessage(EventId = 3004, EventName = "NothingToReap", Level = LogLevel.Debug,
        Message = "Reaper found no session silent for longer than {Timeout}")]
    public static partial void NothingToReap(ILogger logger, TimeSpan? timeout);

    [LoggerMessage(EventId = 3005, EventName = "ReaperRunFailed", Level = LogLevel.Warning,
        Message = "A background reaper run failed ({ErrorType}); the next run is in {Interval}")]
    private static partial void ReaperRunFailedCore(ILogger logger, Exception exception, string errorType, TimeSpan interval);

    // 4xxx: QA.
    [LoggerMessage(EventId = 4001, EventName = "QaResultRecorded", Level = LogLevel.Debug,
        Message = "QA result {QaType} {Status} recorded for task {TaskId} by session {SessionId}")]
    private static partial void QaResultRecordedCore(ILogger logger, string qaType, string status, Guid taskId, string sessionId);

    [LoggerMessage(EventId = 4002, EventName = "QaResultRefused", Level = LogLevel.Debug,
        Message = "QA result for task {TaskId} by session {SessionId} refused ({Refusal}): {Reason}")]
    private static partial void QaResultRefusedCore(ILogger logger, Guid taskId, string sessionId, string refusal, string reason);

    // 5xxx: the event log.
    [LoggerMessage(EventId = 5001, EventName = "WatchReadFailed", Level = LogLevel.Information,
        Message = "An event watch read failed with a transient fault ({ErrorType}, attempt {Attempt}); reconnecting in {Delay}")]
    private static partial void WatchReadFailedCore(ILogger logger, string errorType, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 5002, EventName = "WatchReconnected", Level = LogLevel.Information,
        Message = "An event watch reconnected after {Attempts} failed attempt(s)")]
    public static partial void WatchReconnected(ILogger logger, int attempts);

    // 6xxx: transient faults (the retry policy's call sites).
    [LoggerMessage(EventId = 6001, EventName = "TransientFaultRetried", Level = LogLevel.Information,
        Message = "{Operation} hit a transient fault ({ErrorType}) on attempt {Attempt} of {MaxAttempts}; retrying in {Delay}")]
    private static partial void TransientFaultRetriedCore(ILogger logger, string operation, string errorType, int attempt, int maxAttempts, TimeSpan delay);

    [LoggerMessage(EventId = 6002, EventName = "TransientFaultExhausted", Level = LogLevel.Warning,
        Message = "{Operation} gave up after {Attempts} attempt(s) on transient faults ({ErrorType})")]
    private static partial void TransientFaultExhaustedCore(ILogger logger, string operation, int attempts, string errorType);

    // 9xxx: faults of public operations (not refusals). The caller receives the exception and EF Core logs the failed
    // command itself, so this is Debug: it only ties the fault to the operation.
    [LoggerMessage(EventId = 9001, EventName = "OperationFailed", Level = LogLevel.Debug,
        Message = "{Operation} failed ({ErrorType})")]
    private static partial void OperationFailedCore(ILogger logger, Exception exception, string operation, string errorType);

    // The wrappers below compute their arguments (type names, joined ids, stored enum names) only when the level is on;
    // the analyzer cannot see that each guard is the level of the generated method it calls.
#pragma warning disable CA1873
    public static void ClaimRefused(ILogger logger, Guid agentId, Guid projectId, Exception refusal)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            ClaimRefusedCore(logger, agentId, projectId, refusal.GetType().Name, refusal.Message);
        }
    }

    public static void LeaseLost(ILogger logger, string operation, Guid workItemId, long fencingToken, Exception refusal)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            LeaseLostCore(logger, operation, workItemId, fencingToken, refusal.Message);
        }
    }

    public static void LeaseOperationRefused(ILogger logger, string operation, Guid workItemId, long fencingToken, Exception refusal)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            LeaseOperationRefusedCore(logger, operation, workItemId, fencingToken, refusal.GetType().Name, refusal.Message);
        }
    }

    public static void LocksAcquired(ILogger logger, string sessionId, int count, FileLockType lockType)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            LocksAcquiredCore(logger, sessionId, count, StoredEnum.ToStore(lockType));
        }
    }

    public static void LockOperationRefused(ILogger logger, string operation, string sessionId, Exception refusal)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            LockOperationRefusedCore(logger, operation, sessionId, refusal.GetType().Name, refusal.Message);
        }
    }

    public static void HeartbeatRefused(ILogger logger, string sessionId, Exception refusal)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            HeartbeatRefusedCore(logger, sessionId, refusal.GetType().Name, refusal.Message);
        }
    }

    public static void SessionsReaped(ILogger logger, IReadOnlyList<string> sessionIds, int locksReleased, int workItemsReturned)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            SessionsReapedCore(logger, sessionIds.Count, string.Join(", ", sessionIds), locksReleased, workItemsReturned);
        }
    }

    public static void ReaperRunFailed(ILogger logger, Exception exception, TimeSpan interval)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            ReaperRunFailedCore(logger, exception, exception.GetType().Name, interval);
        }
    }

    public static void QaResultRecorded(ILogger logger, QaType qaType, QaResultStatus status, Guid taskId, string sessionId)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            QaResultRecordedCore(logger, StoredEnum.ToStore(qaType), StoredEnum.ToStore(status), taskId, sessionId);
        }
    }

    public static void QaResultRefused(ILogger logger, Guid taskId, string sessionId, Exception refusal)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            QaResultRefusedCore(logger, taskId, sessionId, refusal.GetType().Name, refusal.Message);
        }
    }

    public static void WatchReadFailed(ILogger logger, Exception fault, int attempt, TimeSpan delay)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            WatchReadFailedCore(logger, fault.GetType().Name, attempt, delay);
        }
    }

    public static void TransientFaultRetried(ILogger logger, string operation, Exception fault, int attempt, int maxAttempts, TimeSpan delay)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            TransientFaultRetriedCore(logger, operation, fault.GetType().Name, attempt, maxAttempts, delay);
        }
    }

    public static void TransientFaultExhausted(ILogger logger, string operation, int attempts, Exception fault)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            TransientFaultExhaustedCore(logger, operation, attempts, fault.GetType().Name);
        }
    }

    public static void OperationFailed(ILogger logger, Exception exception, string operation)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            OperationFailedCore(logger, exception, operation, exception.GetType().Name);
        }
    }
#pragma warning restore CA1873
}
