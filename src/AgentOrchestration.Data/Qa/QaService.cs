using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Storage;
using AgentOrchestration.Data.Validation;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Qa;

/// <summary>
/// The default <see cref="IQaService"/>. Every write holds the task's work item lock (the one completion takes), so a
/// result and a completion of the same task never interleave: completion sees either no result or the committed one.
/// </summary>
internal sealed class QaService(OrchestrationContext orchestration, WriteTransactions writes, OrchestrationClock clock, QaPolicy policy) : IQaService
{
    private const string Entity = "work_item";
    private readonly DbContext db = orchestration.Context;

    public async Task<QaResult> RecordResultAsync(NewQaResult result, CancellationToken cancellationToken = default)
    {
        var met = QaValidation.Result(result);
        return await InTaskTransactionAsync("qa.record_result", result.TaskId, result.SessionId, "record a QA result", async (item, now) =>
        {
            var actor = result.Actor ?? result.SessionId;
            // A repeated failure keeps the task qa_failed; anything else enters (or re-enters) QA first.
            if (item.QaStatus == QaStatus.NotStarted || (item.QaStatus == QaStatus.QaFailed && result.Status != QaResultStatus.Fail))
            {
                EnterQa(item, now, actor, result.SessionId);
            }

            var stored = new QaResult
            {
                Id = UuidV7.NewGuid(),
                TaskId = item.Id,
                ProjectId = item.ProjectId,
                AgentSessionId = result.SessionId,
                QaType = result.QaType,
                Status = result.Status,
                Findings = result.Findings?.Select(f => new QaFinding { Severity = f.Severity, Message = f.Message, File = f.File, Line = f.Line }).ToList(),
                MockViolations = result.MockViolations?.Select(v => new MockViolation { Description = v.Description, File = v.File, Line = v.Line }).ToList(),
                SuccessCriteriaMet = met,
                RemediationNeeded = result.RemediationNeeded,
                RecordedAt = now,
            };
            db.Add(stored);
            if (result.QaType == QaType.SuccessCriteria)
            {
                item.SuccessCriteriaMet = met;
            }

            Events.Append(db, now, OrchestrationEventTypes.QaResultRecorded, item.ProjectId, "qa_result", stored.Id, actor, new EventPayload
            {
                SessionId = result.SessionId,
                WorkItemId = item.Id,
                Reason = result.RemediationNeeded,
                Data =
                [
                    new MetadataEntry { Key = "qa_type", Value = StoredEnum.ToStore(result.QaType) },
                    new MetadataEntry { Key = "status", Value = StoredEnum.ToStore(result.Status) },
                    new MetadataEntry { Key = "success_criteria_met", Value = met ? "true" : "false" },
                ],
            });

            // The gate reads what is stored, so the new result is saved (not committed) before it is evaluated.
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            if (result.Status == QaResultStatus.Fail)
            {
                SendBack(item, now, actor, stored);
            }
            else
            {
                var state = await QaGate.EvaluateAsync(db, policy, item, cancellationToken).ConfigureAwait(false);
                var to = state.CanComplete ? QaStatus.QaPassed : QaStatus.InQa;
                if (to != item.QaStatus)
                {
                    Transition(item, to, now, actor, to == QaStatus.QaPassed ? OrchestrationEventTypes.QaPassed : OrchestrationEventTypes.QaStarted, result.SessionId, null);
                }
            }

            return stored;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<WorkItem> StartQaAsync(Guid taskId, string sessionId, CancellationToken cancellationToken = default)
    {
        QaValidation.Start(taskId, sessionId);
        return await InTaskTransactionAsync("qa.start", taskId, sessionId, "start QA", (item, now) =>
        {
            if (item.QaStatus is not (QaStatus.NotStarted or QaStatus.QaFailed))
            {
                throw new InvalidStateTransitionException("task QA", item.Id, StoredEnum.ToStore(item.QaStatus), "in_qa", item.QaStatus == QaStatus.InQa
                    ? ["qa_passed (every required type's latest result passes)", "qa_failed (a failing result)"]
                    : ["in_qa (a new result that does not pass)", "qa_failed (a failing result)"]);
            }

            EnterQa(item, now, sessionId, sessionId);
            return Task.FromResult(item);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<QaState> GetStateAsync(Guid taskId, CancellationToken cancellationToken = default)
    {
        var item = await db.Set<WorkItem>().AsNoTracking().SingleOrDefaultAsync(w => w.Id == taskId, cancellationToken).ConfigureAwait(false)
            ?? throw new EntityNotFoundException("work item", taskId);
        return await QaGate.EvaluateAsync(db, policy, item, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<QaResult>> ListResultsAsync(Guid taskId, CancellationToken cancellationToken = default) =>
        await db.Set<QaResult>().AsNoTracking().Where(r => r.TaskId == taskId).OrderBy(r => r.RecordedAt).ThenBy(r => r.Id)
            .ToListAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Runs a change of one task under its work item lock, after checking the task and the reviewing session.</summary>
    private Task<T> InTaskTransactionAsync<T>(string name, Guid taskId, string sessionId, string operation, Func<WorkItem, DateTimeOffset, Task<T>> change, CancellationToken cancellationToken) =>
        writes.RunAsync(name, LockScope.WorkItem(taskId), async cancellationToken =>
        {
            var item = await db.Set<WorkItem>().SingleOrDefaultAsync(w => w.Id == taskId, cancellationToken).ConfigureAwait(false)
                ?? throw new EntityNotFoundException("task", taskId);
            if (!QaGate.IsGated(item.Type))
            {
                throw new ArgumentException(
                    $"The work item '{taskId}' is a {StoredEnum.ToStore(item.Type)}; QA is recorded for tasks and bugs.", nameof(taskId));
            }

            if (item.Status is WorkItemStatus.Done or WorkItemStatus.Cancelled)
            {
                throw new InvalidStateTransitionException("task", taskId, StoredEnum.ToStore(item.Status), operation, []);
            }

            var reviewer = await db.Set<AgentSession>().AsNoTracking().Where(s => s.SessionId == sessionId)
                .Select(s => new { s.Status, s.ProjectId, s.AgentId }).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new EntityNotFoundException("session", sessionId);
            if (reviewer.Status != SessionStatus.Active)
            {
                throw new SessionNotActiveException(sessionId, reviewer.Status, operation);
            }

            if (reviewer.ProjectId != item.ProjectId)
            {
                throw new ProjectIsolationException($"session '{sessionId}'", reviewer.ProjectId, item.ProjectId);
            }

            // Work taken without a session has no recorded implementer: then no session of the agent holding it may
            // review it, since any of them could be the one that did the work.
            if (item.AssignedAgentSession == sessionId
                || (item.AssignedAgentSession is null && reviewer.AgentId is { } reviewerAgent && reviewerAgent == item.AssignedAgentId))
            {
                throw new QaSelfReviewException(taskId, sessionId);
            }

            var now = clock.GetUtcNow();
            var outcome = await change(item, now).ConfigureAwait(false);
            item.UpdatedAt = now;
            return outcome;
        }, cancellationToken);

    /// <summary>not_started | qa_failed → in_qa; work someone holds and works on is now under review.</summary>
    private void EnterQa(WorkItem item, DateTimeOffset now, string actor, string sessionId)
    {
        var review = IsHeld(item) && item.Status is WorkItemStatus.Todo or WorkItemStatus.InProgress;
        var statusFrom = item.Status;
        if (review)
        {
            item.Status = WorkItemStatus.InReview;
        }

        Transition(item, QaStatus.InQa, now, actor, OrchestrationEventTypes.QaStarted, sessionId, null, review ? [new MetadataEntry { Key = "status", Value = $"{StoredEnum.ToStore(statusFrom)} -> in_review" }] : []);
    }

    /// <summary>A failing result: qa_failed, and work under review goes back to its holder with the remediation.</summary>
    private void SendBack(WorkItem item, DateTimeOffset now, string actor, QaResult failed)
    {
        var remediation = failed.RemediationNeeded;
        Transition(item, QaStatus.QaFailed, now, actor, OrchestrationEventTypes.QaFailed, failed.AgentSessionId, remediation,
            [new MetadataEntry { Key = "qa_type", Value = StoredEnum.ToStore(failed.QaType) }, new MetadataEntry { Key = "qa_result_id", Value = failed.Id.ToString() }]);
        if (!IsHeld(item) && item.DelegationStatus != DelegationStatus.Blocked)
        {
            return;
        }

        var from = item.Status;
        if (from == WorkItemStatus.InReview)
        {
            item.Status = WorkItemStatus.InProgress;
        }

        // The delegation stays with its holder: the history records why the work came back, not a change of hands.
        History.Append(item, now, History.SendBack, item.DelegationStatus, item.DelegationStatus, item.CurrentAssignmentId, actor,
            $"{StoredEnum.ToStore(failed.QaType)} failed: {remediation}");
        Events.Append(db, now, OrchestrationEventTypes.WorkItemSentBack, item.ProjectId, Entity, item.Id, actor, new EventPayload
        {
            From = StoredEnum.ToStore(from),
            To = StoredEnum.ToStore(item.Status),
            AgentId = item.AssignedAgentId,
            SessionId = item.AssignedAgentSession,
            WorkItemId = item.Id,
            Reason = remediation,
            Data = [new MetadataEntry { Key = "qa_type", Value = StoredEnum.ToStore(failed.QaType) }, new MetadataEntry { Key = "qa_result_id", Value = failed.Id.ToString() }],
        });
    }

    private void Transition(WorkItem item, QaStatus to, DateTimeOffset now, string actor, string eventType, string sessionId, string? reason, List<MetadataEntry>? data = null)
    {
        var from = item.QaStatus;
        item.QaStatus = to;
        Events.Append(db, now, eventType, item.ProjectId, Entity, item.Id, actor, new EventPayload
        {
            From = StoredEnum.ToStore(from),
            To = StoredEnum.ToStore(to),
            AgentId = item.AssignedAgentId,
            SessionId = sessionId,
            WorkItemId = item.Id,
            Reason = reason,
            Data = data ?? [],
        });
    }

    private static bool IsHeld(WorkItem item) => item.DelegationStatus is DelegationStatus.Assigned or DelegationStatus.InProgress;
}
