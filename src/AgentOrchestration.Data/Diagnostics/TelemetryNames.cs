namespace AgentOrchestration.Data.Diagnostics;

/// <summary>Span names: one per public operation, low-cardinality (ids go in tags).</summary>
internal static class SpanNames
{
    public const string Claim = "agent_orchestration.claim";
    public const string Renew = "agent_orchestration.renew";
    public const string Complete = "agent_orchestration.complete";
    public const string CompleteAndClaim = "agent_orchestration.complete_and_claim";
    public const string Release = "agent_orchestration.release";
    public const string LockAcquire = "agent_orchestration.lock.acquire";
    public const string LockRenew = "agent_orchestration.lock.renew";
    public const string LockRelease = "agent_orchestration.lock.release";
    public const string Heartbeat = "agent_orchestration.heartbeat";
    public const string Reap = "agent_orchestration.reap";
    public const string QaRecord = "agent_orchestration.qa.record";
    public const string WatchReconnect = "agent_orchestration.watch.reconnect";

    /// <summary>One library write's transaction (every write runs through <c>WriteTransactions</c>), tagged with its operation name.</summary>
    public const string Transaction = "agent_orchestration.transaction";
}

/// <summary>Span and metric tag names (OpenTelemetry style: lower-case, dotted, namespaced).</summary>
internal static class TagNames
{
    public const string ProjectId = "agent_orchestration.project.id";
    public const string AgentId = "agent_orchestration.agent.id";
    public const string WorkItemId = "agent_orchestration.work_item.id";
    public const string WorkItemCount = "agent_orchestration.work_item.count";
    public const string FencingToken = "agent_orchestration.fencing_token";
    public const string SessionId = "agent_orchestration.session.id";
    public const string Outcome = "agent_orchestration.outcome";
    public const string Operation = "agent_orchestration.operation";
    public const string Refusal = "agent_orchestration.refusal";
    public const string PathCount = "agent_orchestration.lock.path_count";
    public const string QaType = "agent_orchestration.qa.type";
    public const string QaStatus = "agent_orchestration.qa.status";
    public const string SessionsReaped = "agent_orchestration.reap.sessions";
    public const string LocksReleased = "agent_orchestration.reap.locks_released";
    public const string ItemsReturned = "agent_orchestration.reap.work_items_returned";
    public const string Attempt = "agent_orchestration.attempt";

    /// <summary>OpenTelemetry's general attribute for the class of error an operation ended with (faults only).</summary>
    public const string ErrorType = "error.type";
}

/// <summary>The values of <see cref="TagNames.Outcome"/>.</summary>
internal static class Outcomes
{
    public const string Claimed = "claimed";
    public const string Empty = "empty";
    public const string Refused = "refused";
    public const string LeaseLost = "lease_lost";
    public const string Conflict = "conflict";
    public const string Ok = "ok";
    public const string Cancelled = "cancelled";
    public const string Error = "error";

    /// <summary>
    /// What an exception means to an operator: a refusal is the library saying no to the caller (bad input, not found,
    /// a conflict, a lost lease), which the caller receives as an exception and which is nobody's fault; anything else
    /// is a fault.
    /// </summary>
    public static string Of(Exception exception) => exception switch
    {
        LeaseLostException => LeaseLost,
        FileLockConflictException => Conflict,
        OperationCanceledException => Cancelled,
        _ when IsRefusal(exception) => Refused,
        _ => Error,
    };

    public static bool IsRefusal(Exception exception) => exception is AgentOrchestrationException or ArgumentException;
}
