using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.EventLog;

/// <summary>Appends to a work item's <c>delegation_history</c>, the one way every state change records itself.</summary>
internal static class History
{
    /// <summary>The action of a QA send-back: a note in the history, not a change of hands.</summary>
    public const string SendBack = "send_back";

    /// <summary>The last entry that changed who holds the work or whether it runs (a QA send-back does neither).</summary>
    public static DelegationHistoryEntry? LastDelegationEntry(WorkItem item) => item.DelegationHistory?.LastOrDefault(h => h.Action != SendBack);

    public static void Append(WorkItem item, DateTimeOffset at, string action, DelegationStatus? from, DelegationStatus to, Guid? assignmentId, string? actor, string? note = null)
    {
        item.DelegationHistory ??= [];
        item.DelegationHistory.Add(new DelegationHistoryEntry
        {
            At = at,
            Action = action,
            FromStatus = from,
            ToStatus = to,
            AssigneeType = item.AssigneeType,
            AssigneeId = item.AssigneeId,
            AssignmentId = assignmentId,
            Actor = actor,
            Note = note,
        });
    }
}
