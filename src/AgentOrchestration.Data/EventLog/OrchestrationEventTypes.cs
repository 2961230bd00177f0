using System.Reflection;

namespace AgentOrchestration.Data.EventLog;

/// <summary>
/// Every <see cref="Entities.OrchestrationEvent.Type"/> the library writes, as <c>entity.past_tense_verb</c>: compare a
/// read or watched event's type against these instead of spelling the string. The list is closed: the library writes no
/// other type (see docs/events.md for what each carries).
/// </summary>
public static class OrchestrationEventTypes
{
    /// <summary>A project was created.</summary>
    public const string ProjectCreated = "project.created";

    /// <summary>An agent profile was registered.</summary>
    public const string AgentRegistered = "agent.registered";

    /// <summary>An agent profile's description, tools, constraints or concurrency limit changed.</summary>
    public const string AgentUpdated = "agent.updated";

    /// <summary>An agent's capabilities were replaced.</summary>
    public const string AgentCapabilitiesChanged = "agent.capabilities_changed";

    /// <summary>An agent's status changed (active, inactive, archived).</summary>
    public const string AgentStatusChanged = "agent.status_changed";

    /// <summary>A work item was created (directly, or by promoting a backlog item).</summary>
    public const string WorkItemCreated = "work_item.created";

    /// <summary>A work item gained a dependency (<c>payload.work_item_id</c> is the item it waits for).</summary>
    public const string WorkItemDependencyAdded = "work_item.dependency_added";

    /// <summary>A work item lost a dependency.</summary>
    public const string WorkItemDependencyRemoved = "work_item.dependency_removed";

    /// <summary>An agent claimed a work item with a lease.</summary>
    public const string WorkItemClaimed = "work_item.claimed";

    /// <summary>A lease holder renewed its lease.</summary>
    public const string WorkItemLeaseRenewed = "work_item.lease_renewed";

    /// <summary>A session ended or was reaped and its claimed work went back to the queue.</summary>
    public const string WorkItemRequeued = "work_item.requeued";

    /// <summary>A work item was assigned through delegation.</summary>
    public const string WorkItemAssigned = "work_item.assigned";

    /// <summary>Its holder started a work item.</summary>
    public const string WorkItemStarted = "work_item.started";

    /// <summary>Its holder paused a work item.</summary>
    public const string WorkItemPaused = "work_item.paused";

    /// <summary>Its holder resumed a paused work item.</summary>
    public const string WorkItemResumed = "work_item.resumed";

    /// <summary>A work item was blocked (<c>payload.reason</c> says why).</summary>
    public const string WorkItemBlocked = "work_item.blocked";

    /// <summary>A blocked work item was unblocked.</summary>
    public const string WorkItemUnblocked = "work_item.unblocked";

    /// <summary>A work item was completed (past the QA gate for tasks and bugs).</summary>
    public const string WorkItemCompleted = "work_item.completed";

    /// <summary>A work item's assignment was cancelled (released) and the item is unassigned.</summary>
    public const string WorkItemCancelled = "work_item.cancelled";

    /// <summary>A work item was handed to another assignee.</summary>
    public const string WorkItemReassigned = "work_item.reassigned";

    /// <summary>A failed QA result sent a work item under review back to its holder.</summary>
    public const string WorkItemSentBack = "work_item.sent_back";

    /// <summary>A story was approved.</summary>
    public const string StoryApproved = "story.approved";

    /// <summary>A sprint was planned.</summary>
    public const string SprintPlanned = "sprint.planned";

    /// <summary>A sprint started.</summary>
    public const string SprintStarted = "sprint.started";

    /// <summary>A sprint was completed (unfinished work moved out).</summary>
    public const string SprintCompleted = "sprint.completed";

    /// <summary>Work items were added to a sprint.</summary>
    public const string SprintWorkAdded = "sprint.work_added";

    /// <summary>Work items were removed from a sprint (or moved out as it completed).</summary>
    public const string SprintWorkRemoved = "sprint.work_removed";

    /// <summary>An item was submitted to the backlog.</summary>
    public const string BacklogSubmitted = "backlog.submitted";

    /// <summary>An agent started analysing a backlog item.</summary>
    public const string BacklogAnalysisStarted = "backlog.analysis_started";

    /// <summary>An analysis of a backlog item was recorded.</summary>
    public const string BacklogAnalyzed = "backlog.analyzed";

    /// <summary>A backlog item was marked ready to promote.</summary>
    public const string BacklogReady = "backlog.ready";

    /// <summary>A backlog item was blocked.</summary>
    public const string BacklogBlocked = "backlog.blocked";

    /// <summary>A backlog item went back to the backlog (its analyst let go).</summary>
    public const string BacklogReleased = "backlog.released";

    /// <summary>A backlog item was promoted to a story (<c>payload.work_item_id</c>).</summary>
    public const string BacklogPromoted = "backlog.promoted";

    /// <summary>A session started.</summary>
    public const string SessionStarted = "session.started";

    /// <summary>A heartbeat changed the session's current action (heartbeats alone are not events).</summary>
    public const string SessionActionChanged = "session.action_changed";

    /// <summary>A session was paused.</summary>
    public const string SessionPaused = "session.paused";

    /// <summary>A paused session was resumed.</summary>
    public const string SessionResumed = "session.resumed";

    /// <summary>A session ended as completed.</summary>
    public const string SessionCompleted = "session.completed";

    /// <summary>A session ended as failed.</summary>
    public const string SessionFailed = "session.failed";

    /// <summary>A session ended as halted.</summary>
    public const string SessionHalted = "session.halted";

    /// <summary>The reaper failed a silent session, returned its work and released its file locks.</summary>
    public const string SessionReaped = "session.reaped";

    /// <summary>A session acquired a file lock.</summary>
    public const string FileLockAcquired = "file_lock.acquired";

    /// <summary>A session renewed a file lock.</summary>
    public const string FileLockRenewed = "file_lock.renewed";

    /// <summary>A session released a file lock (or ending the session did).</summary>
    public const string FileLockReleased = "file_lock.released";

    /// <summary>An expired file lock was removed.</summary>
    public const string FileLockExpired = "file_lock.expired";

    /// <summary>A work item entered QA (its QA state became <c>in_qa</c>).</summary>
    public const string QaStarted = "qa.started";

    /// <summary>A QA result was recorded.</summary>
    public const string QaResultRecorded = "qa.result_recorded";

    /// <summary>A work item's QA state became <c>qa_passed</c>.</summary>
    public const string QaPassed = "qa.passed";

    /// <summary>A work item's QA state became <c>qa_failed</c> (a failing result).</summary>
    public const string QaFailed = "qa.failed";

    /// <summary>Gets every event type above, in declaration order.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        .. typeof(OrchestrationEventTypes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .OrderBy(f => f.MetadataToken)
            .Select(f => (string)f.GetRawConstantValue()!),
    ];
}
