using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Storage;
using AgentOrchestration.Data.Validation;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Delegation;

/// <summary>The default <see cref="IDelegationService"/>: one write per change, under the work item's lock (<see cref="LockScope.WorkItem"/>).</summary>
internal sealed class DelegationService(OrchestrationContext orchestration, WriteTransactions writes, OrchestrationClock clock, QaPolicy qaPolicy) : IDelegationService, ILeaseDelegation
{
    /// <summary>The changes that record the implementing session; assign, reassign and cancel clear it when none is given.</summary>
    private static readonly string[] SessionActions = ["assign", "reassign", "start"];

    private static readonly DelegationStatus[] Held = [DelegationStatus.Assigned, DelegationStatus.InProgress, DelegationStatus.Blocked];

    private static readonly Dictionary<DelegationStatus, string[]> Next = new()
    {
        [DelegationStatus.Unassigned] = ["assigned"],
        [DelegationStatus.Assigned] = ["in_progress", "unassigned (cancel)", "assigned (reassign)"],
        [DelegationStatus.InProgress] = ["blocked", "completed", "paused/resumed work", "unassigned (cancel)", "assigned (reassign)"],
        [DelegationStatus.Blocked] = ["in_progress (unblock)", "unassigned (cancel)", "assigned (reassign)"],
        [DelegationStatus.Completed] = [],
    };

    private readonly DbContext db = orchestration.Context;

    public Task<WorkItem> AssignAsync(Guid workItemId, Assignee assignee, DelegationOptions? options = null, CancellationToken cancellationToken = default)
    {
        DelegationValidation.Assignee(assignee);
        return ChangeAsync(workItemId, "assign", [DelegationStatus.Unassigned], DelegationStatus.Assigned, options, async (step, ct) =>
            await HandOverAsync(step, assignee, ct).ConfigureAwait(false), cancellationToken);
    }

    public Task<WorkItem> StartAsync(Guid workItemId, DelegationOptions? options = null, CancellationToken cancellationToken = default) =>
        ChangeAsync(workItemId, "start", [DelegationStatus.Assigned], DelegationStatus.InProgress, options, (step, _) =>
        {
            step.Item.Status = WorkItemStatus.InProgress;
            if (step.Assignment is { } assignment)
            {
                assignment.Status = AssignmentStatus.Started;
                assignment.StartedAt ??= step.Now;
            }

            return Task.CompletedTask;
        }, cancellationToken);

    public Task<WorkItem> PauseAsync(Guid workItemId, DelegationOptions? options = null, CancellationToken cancellationToken = default) =>
        ChangeAsync(workItemId, "pause", [DelegationStatus.InProgress], DelegationStatus.InProgress, options, (step, _) =>
        {
            var assignment = RequireAssignment(step, AssignmentStatus.Started, "pause");
            AddWorkedTime(step);
            assignment.Status = AssignmentStatus.Paused;
            return Task.CompletedTask;
        }, cancellationToken);

    public Task<WorkItem> ResumeAsync(Guid workItemId, DelegationOptions? options = null, CancellationToken cancellationToken = default) =>
        ChangeAsync(workItemId, "resume", [DelegationStatus.InProgress], DelegationStatus.InProgress, options, (step, _) =>
        {
            RequireAssignment(step, AssignmentStatus.Paused, "resume").Status = AssignmentStatus.Started;
            return Task.CompletedTask;
        }, cancellationToken);

    public Task<WorkItem> BlockAsync(Guid workItemId, string reason, DelegationOptions? options = null, CancellationToken cancellationToken = default)
    {
        DelegationValidation.Reason(reason);

        options ??= new DelegationOptions();
        options.Note ??= reason;
        return ChangeAsync(workItemId, "block", [DelegationStatus.InProgress], DelegationStatus.Blocked, options, (step, _) =>
        {
            if (step.Assignment is null || step.Assignment.Status == AssignmentStatus.Started)
            {
                AddWorkedTime(step);
            }

            step.Assignment?.Status = AssignmentStatus.Paused;
            step.Item.Status = WorkItemStatus.Blocked;
            return Task.CompletedTask;
        }, cancellationToken);
    }

    public Task<WorkItem> UnblockAsync(Guid workItemId, DelegationOptions? options = null, CancellationToken cancellationToken = default) =>
        ChangeAsync(workItemId, "unblock", [DelegationStatus.Blocked], DelegationStatus.InProgress, options, (step, _) =>
        {
            step.Assignment?.Status = AssignmentStatus.Started;
            step.Item.Status = WorkItemStatus.InProgress;
            return Task.CompletedTask;
        }, cancellationToken);

    public Task<WorkItem> CompleteAsync(Guid workItemId, DelegationOptions? options = null, CancellationToken cancellationToken = default) =>
        CompleteFromAsync([DelegationStatus.InProgress], workItemId, options, cancellationToken);

    /// <summary>Completes claimed work, which a holder may finish without a separate start (the claim started it).</summary>
    public Task<WorkItem> CompleteClaimAsync(Guid workItemId, DelegationOptions options, CancellationToken cancellationToken) =>
        CompleteFromAsync([DelegationStatus.Assigned, DelegationStatus.InProgress], workItemId, options, cancellationToken);

    private Task<WorkItem> CompleteFromAsync(DelegationStatus[] from, Guid workItemId, DelegationOptions? options, CancellationToken cancellationToken) =>
        ChangeAsync(workItemId, "complete", from, DelegationStatus.Completed, options, async (step, ct) =>
        {
            // Under the work item's lock, which QA results take too: a result committed before this read counts, one
            // recorded after it finds the task done and is refused.
            if (QaGate.IsGated(step.Item.Type))
            {
                var qa = await QaGate.EvaluateAsync(db, qaPolicy, step.Item, ct).ConfigureAwait(false);
                if (!qa.CanComplete)
                {
                    throw new QaGateException(step.Item.Id, qa.OversightLevel, qa.RequiredTypes, qa.Missing);
                }
            }

            if (step.Assignment is null || step.Assignment.Status is AssignmentStatus.Started or AssignmentStatus.Assigned)
            {
                AddWorkedTime(step);
            }

            if (step.Assignment is { } assignment)
            {
                assignment.Status = AssignmentStatus.Completed;
                assignment.CompletedAt = step.Now;
                assignment.LeaseExpiresAt = null;
            }

            step.Item.Status = WorkItemStatus.Done;
        }, cancellationToken);

    public Task<WorkItem> CancelAsync(Guid workItemId, DelegationOptions? options = null, CancellationToken cancellationToken = default) =>
        ChangeAsync(workItemId, "cancel", Held, DelegationStatus.Unassigned, options, (step, _) =>
        {
            EndHolding(step);
            step.Item.Status = WorkItemStatus.Todo;
            step.Item.AssigneeType = null;
            step.Item.AssigneeId = null;
            step.Item.AssignedAgentId = null;
            step.Item.CurrentAssignmentId = null;
            step.Item.CurrentAssignment = null;
            return Task.CompletedTask;
        }, cancellationToken);

    public Task<WorkItem> ReassignAsync(Guid workItemId, Assignee assignee, DelegationOptions? options = null, CancellationToken cancellationToken = default)
    {
        DelegationValidation.Assignee(assignee);
        return ChangeAsync(workItemId, "reassign", Held, DelegationStatus.Assigned, options, async (step, ct) =>
        {
            EndHolding(step);
            step.Item.Status = WorkItemStatus.Todo;
            await HandOverAsync(step, assignee, ct).ConfigureAwait(false);
        }, cancellationToken);
    }

    private Task<WorkItem> ChangeAsync(
        Guid workItemId, string action, DelegationStatus[] from, DelegationStatus to, DelegationOptions? options, Func<Step, CancellationToken, Task> apply, CancellationToken cancellationToken)
    {
        DelegationValidation.Change(workItemId, options);
        options ??= new DelegationOptions();
        var sessionId = SessionActions.Contains(action) ? options.SessionId : null;
        if (sessionId is not null)
        {
            SessionIds.ValidLookup(sessionId, nameof(options));
        }

        // A change that records a session takes the session first, as ending and reaping it do (see LockLevel).
        LockScope[] locks = sessionId is null ? [LockScope.WorkItem(workItemId)] : [LockScope.Session(sessionId), LockScope.WorkItem(workItemId)];
        return writes.RunAsync("work_item." + action, locks, ct => ChangeLockedAsync(workItemId, action, from, to, options, sessionId, apply, ct), cancellationToken);
    }

    private async Task<WorkItem> ChangeLockedAsync(
        Guid workItemId, string action, DelegationStatus[] from, DelegationStatus to, DelegationOptions options, string? sessionId, Func<Step, CancellationToken, Task> apply, CancellationToken cancellationToken)
    {
        var session = sessionId is null ? null
            : await SessionWork.FindLockedAsync(db, sessionId, cancellationToken).ConfigureAwait(false) ?? throw new EntityNotFoundException("session", sessionId);
        var item = await db.Set<WorkItem>().Include(w => w.CurrentAssignment)
            .SingleOrDefaultAsync(w => w.Id == workItemId, cancellationToken).ConfigureAwait(false)
            ?? throw new EntityNotFoundException("work item", workItemId);
        // A stale holder learns it lost the lease before anything else: that is what it must act on.
        var now = await clock.DecideAsync(db, cancellationToken).ConfigureAwait(false);
        if (options.FencingToken is { } token)
        {
            LeaseCheck.Ensure(item, options.LeaseAssignmentId, token, now);
        }

        var current = item.DelegationStatus;
        if (!from.Contains(current))
        {
            throw new InvalidStateTransitionException("work item", workItemId, StoredEnum.ToStore(current), $"{StoredEnum.ToStore(to)} ({action})", Next[current]);
        }
        var step = new Step(item, item.CurrentAssignment, now, options);
        await apply(step, cancellationToken).ConfigureAwait(false);
        if (session is not null)
        {
            ImplementingSession.Ensure(session, session.SessionId, item.ProjectId, item.AssigneeType == AssigneeType.Agent ? item.AssigneeId : null);
            item.AssignedAgentSession = session.SessionId;
            session.TaskId = item.Id;
        }
        else if (action is "assign" or "reassign" or "cancel")
        {
            // A new holder (or none) is not the session that implemented the work before.
            item.AssignedAgentSession = null;
        }

        item.DelegationStatus = to;
        item.UpdatedAt = now;
        if (step.Assignment is { } assignment)
        {
            assignment.UpdatedAt = now;
        }

        var actor = options.Actor ?? (item.AssigneeType == AssigneeType.Agent ? item.AssigneeId?.ToString() : null);
        History.Append(item, now, action, current, to, item.CurrentAssignmentId ?? step.Assignment?.Id, actor, options.Note);
        Events.Append(db, now, EventType(action), item.ProjectId, "work_item", item.Id, actor, new EventPayload
        {
            From = StoredEnum.ToStore(current),
            To = StoredEnum.ToStore(to),
            AgentId = item.AssignedAgentId,
            SessionId = item.AssignedAgentSession,
            WorkItemId = item.Id,
            Reason = options.Note,
        });
        return item;
    }

    private async Task HandOverAsync(Step step, Assignee assignee, CancellationToken cancellationToken)
    {
        var item = step.Item;
        if (assignee.Type == AssigneeType.Agent)
        {
            var agent = await db.Set<AgentProfile>().AsNoTracking().Where(a => a.Id == assignee.Id).Select(a => new { a.Slug, a.Status })
                .SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false) ?? throw new EntityNotFoundException("agent", assignee.Id);
            if (agent.Status != AgentStatus.Active)
            {
                throw new InvalidStateTransitionException("agent", agent.Slug, StoredEnum.ToStore(agent.Status), "assigned", ["active agents are assigned work"]);
            }

            var token = await db.Set<TaskAssignment>().Where(t => t.WorkItemId == item.Id).MaxAsync(t => (long?)t.FencingToken, cancellationToken).ConfigureAwait(false) ?? 0;
            var assignment = new TaskAssignment
            {
                WorkItemId = item.Id,
                AgentId = assignee.Id,
                AssignedBy = step.Options.AssignedBy,
                AssignedAt = step.Now,
                Status = AssignmentStatus.Assigned,
                Context = step.Options.Context,
                Notes = step.Options.Note,
                FencingToken = token + 1,
                CreatedAt = step.Now,
                UpdatedAt = step.Now,
            };
            db.Add(assignment);
            item.CurrentAssignment = assignment;
            item.CurrentAssignmentId = assignment.Id;
            item.AssignedAgentId = assignee.Id;
            step.Assignment = assignment;
        }
        else
        {
            item.CurrentAssignment = null;
            item.CurrentAssignmentId = null;
            item.AssignedAgentId = null;
            step.Assignment = null;
        }

        item.AssigneeType = assignee.Type;
        item.AssigneeId = assignee.Id;
        item.DelegationContext = step.Options.Context ?? item.DelegationContext;
    }

    private static void EndHolding(Step step)
    {
        if (step.Assignment is null ? step.Item.DelegationStatus == DelegationStatus.InProgress : step.Assignment.Status is AssignmentStatus.Started || History.LastDelegationEntry(step.Item)?.Action == "claim")
        {
            AddWorkedTime(step);
        }

        if (step.Assignment is { } old)
        {
            old.Status = AssignmentStatus.Cancelled;
            old.CompletedAt = step.Now;
            old.LeaseExpiresAt = null;
            old.UpdatedAt = step.Now;
        }
    }

    /// <summary>Adds the time since work last (re)started to <c>actual_hours</c>, read from the history the library keeps.</summary>
    private static void AddWorkedTime(Step step)
    {
        // A claim starts the clock too: claimed work is often completed without a separate start.
        var since = step.Item.DelegationHistory?.LastOrDefault(h => h.Action is "claim" or "start" or "resume" or "unblock")?.At;
        if (since is { } start && step.Now > start)
        {
            step.Item.ActualHours = Math.Round((step.Item.ActualHours ?? 0m) + (decimal)(step.Now - start).TotalHours, 2);
        }
    }

    private static TaskAssignment RequireAssignment(Step step, AssignmentStatus required, string action) =>
        step.Assignment is { } assignment && assignment.Status == required
            ? assignment
            : throw new InvalidStateTransitionException(
                "assignment", step.Assignment?.Id ?? step.Item.Id, step.Assignment is null ? "none (user assignee)" : StoredEnum.ToStore(step.Assignment.Status), action,
                step.Assignment?.Status == AssignmentStatus.Started ? ["paused"] : step.Assignment?.Status == AssignmentStatus.Paused ? ["started"] : []);

    private static string EventType(string action) => action switch
    {
        "assign" => OrchestrationEventTypes.WorkItemAssigned,
        "start" => OrchestrationEventTypes.WorkItemStarted,
        "pause" => OrchestrationEventTypes.WorkItemPaused,
        "resume" => OrchestrationEventTypes.WorkItemResumed,
        "block" => OrchestrationEventTypes.WorkItemBlocked,
        "unblock" => OrchestrationEventTypes.WorkItemUnblocked,
        "complete" => OrchestrationEventTypes.WorkItemCompleted,
        "cancel" => OrchestrationEventTypes.WorkItemCancelled,
        "reassign" => OrchestrationEventTypes.WorkItemReassigned,
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Not a delegation action."),
    };

    private sealed class Step(WorkItem item, TaskAssignment? assignment, DateTimeOffset now, DelegationOptions options)
    {
        public WorkItem Item { get; } = item;

        public TaskAssignment? Assignment { get; set; } = assignment;

        public DateTimeOffset Now { get; } = now;

        public DelegationOptions Options { get; } = options;
    }
}
