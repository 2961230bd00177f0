using AgentOrchestration.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Qa;

/// <summary>Evaluates a task's QA against the policy; shared by the QA service and by completion (which holds the task's lock while it asks).</summary>
internal static class QaGate
{
    public static bool IsGated(WorkItemType type) => type is WorkItemType.Task or WorkItemType.Bug;

    public static async Task<QaState> EvaluateAsync(DbContext db, QaPolicy policy, WorkItem item, CancellationToken cancellationToken)
    {
        var level = policy.UnknownSessionLevel;
        if (item.AssignedAgentSession is { } implementer)
        {
            var recorded = await db.Set<AgentSession>().AsNoTracking().Where(s => s.SessionId == implementer)
                .Select(s => (OversightLevel?)s.OversightLevel).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
            level = recorded ?? level;
        }

        // Few results per task: read them all, newest first (ids are time-ordered, so they break timestamp ties).
        var results = await db.Set<QaResult>().AsNoTracking().Where(r => r.TaskId == item.Id)
            .OrderByDescending(r => r.RecordedAt).ThenByDescending(r => r.Id)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var latest = results.GroupBy(r => r.QaType).Select(g => g.First()).OrderBy(r => r.QaType).ToList();

        var required = IsGated(item.Type) ? policy.RequiredTypes(level) : [];
        var missing = new List<QaShortfall>();
        foreach (var type in required)
        {
            var result = latest.FirstOrDefault(r => r.QaType == type);
            var reason = result?.Status switch
            {
                null => QaShortfallReason.NoResult,
                QaResultStatus.Fail => QaShortfallReason.Failed,
                QaResultStatus.Warning when !policy.WarningsPass(level) => QaShortfallReason.Warning,
                _ => (QaShortfallReason?)null,
            };
            if (reason is { } shortfall)
            {
                missing.Add(new QaShortfall(type, shortfall, result?.Id));
            }
        }

        return new QaState(item.Id, item.QaStatus, item.SuccessCriteriaMet, item.AssignedAgentSession, level, required, latest, missing);
    }
}
