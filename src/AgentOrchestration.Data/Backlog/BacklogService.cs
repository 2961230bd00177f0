using System.Globalization;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Storage;
using AgentOrchestration.Data.Validation;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Backlog;

/// <summary>
/// The default <see cref="IBacklogService"/>. Every change of an item runs in a transaction serialized on the item
/// (<c>backlog:{id}</c>) and re-reads it there, so concurrent agents see each other's committed decisions.
/// </summary>
internal sealed class BacklogService(OrchestrationContext orchestration, WriteTransactions writes, OrchestrationClock clock, IBacklogRiskStrategy risk) : IBacklogService
{
    private const int MaxPage = 500;
    private const string Entity = "backlog";

    private static readonly Dictionary<BacklogStatus, string[]> Next = new()
    {
        [BacklogStatus.Backlog] = ["analyzing"],
        [BacklogStatus.Analyzing] = ["analyzing (record analysis)", "ready", "blocked", "backlog (release)"],
        [BacklogStatus.Ready] = ["story (promote)", "analyzing (re-analyse)"],
        [BacklogStatus.Blocked] = ["analyzing", "backlog (release)"],
    };

    private readonly DbContext db = orchestration.Context;

    public async Task<BacklogItem> SubmitAsync(BacklogSubmission submission, CancellationToken cancellationToken = default)
    {
        BacklogValidation.Submission(submission);
        var title = submission.Title.Trim();
        var description = submission.Description.Trim();
        var criteria = submission.SuccessCriteria.Trim();
        var createdBy = submission.CreatedBy.Trim();
        var score = Score(submission.Complexity, submission.BusinessValue, submission.Priority);
        if (!await db.Set<Project>().AnyAsync(p => p.Id == submission.ProjectId, cancellationToken).ConfigureAwait(false))
        {
            throw new EntityNotFoundException("project", submission.ProjectId);
        }

        var now = clock.GetUtcNow();
        var item = new BacklogItem
        {
            Id = UuidV7.NewGuid(),
            ProjectId = submission.ProjectId,
            Title = title,
            Description = description,
            SuccessCriteria = criteria,
            Priority = submission.Priority,
            BusinessValue = submission.BusinessValue,
            EstimatedComplexity = submission.Complexity,
            RiskScore = score,
            CreatedBy = createdBy,
            Status = BacklogStatus.Backlog,
            SubmittedAt = now,
        };
        return await writes.RunAsync("backlog.submit", LockScope.BacklogSubmissions(item.ProjectId), _ =>
        {
            db.Add(item);
            Events.Append(db, now, OrchestrationEventTypes.BacklogSubmitted, item.ProjectId, Entity, item.Id, createdBy, new EventPayload
            {
                To = "backlog",
                Data = [Entry("risk_score", score), new MetadataEntry { Key = "complexity", Value = StoredEnum.ToStore(item.EstimatedComplexity) }],
            });
            return Task.FromResult(item);
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task<BacklogItem> StartAnalysisAsync(Guid backlogItemId, string agent, CancellationToken cancellationToken = default)
    {
        BacklogValidation.Change(backlogItemId, agent);
        var name = agent.Trim();
        return ChangeAsync(backlogItemId, "start its analysis", (item, now) =>
        {
            if (item.Status == BacklogStatus.Analyzing)
            {
                throw Refused(item, "analyzing");
            }

            var from = item.Status;
            item.Status = BacklogStatus.Analyzing;
            item.AssignedToAgent = name;
            Events.Append(db, now, OrchestrationEventTypes.BacklogAnalysisStarted, item.ProjectId, Entity, item.Id, name, Transition(from, item.Status, null));
            return Task.CompletedTask;
        }, cancellationToken);
    }

    public Task<BacklogItem> RecordAnalysisAsync(Guid backlogItemId, BacklogAnalysis analysis, CancellationToken cancellationToken = default)
    {
        BacklogValidation.Analysis(backlogItemId, analysis);
        var name = analysis.Agent.Trim();

        return ChangeAsync(backlogItemId, "record an analysis", (item, now) =>
        {
            RequireHolder(item, name, "record an analysis", "analyzing (record analysis)");
            item.EstimatedComplexity = analysis.Complexity ?? item.EstimatedComplexity;
            item.RiskScore = analysis.RiskScore ?? Score(item.EstimatedComplexity, item.BusinessValue, item.Priority);
            item.PrimeNotes = analysis.PrimeNotes ?? item.PrimeNotes;
            item.LastAnalyzed = now;
            Events.Append(db, now, OrchestrationEventTypes.BacklogAnalyzed, item.ProjectId, Entity, item.Id, name, new EventPayload
            {
                From = "analyzing",
                To = "analyzing",
                Data =
                [
                    Entry("risk_score", item.RiskScore),
                    new MetadataEntry { Key = "risk_source", Value = analysis.RiskScore is null ? "strategy" : "analysis" },
                    new MetadataEntry { Key = "complexity", Value = StoredEnum.ToStore(item.EstimatedComplexity) },
                ],
            });
            return Task.CompletedTask;
        }, cancellationToken);
    }

    public Task<BacklogItem> MarkReadyAsync(Guid backlogItemId, string agent, string? note = null, CancellationToken cancellationToken = default)
    {
        BacklogValidation.Change(backlogItemId, agent, note);
        var name = agent.Trim();
        return Conclude(backlogItemId, name, BacklogStatus.Ready, OrchestrationEventTypes.BacklogReady, note, cancellationToken);
    }

    public Task<BacklogItem> BlockAsync(Guid backlogItemId, string agent, string reason, CancellationToken cancellationToken = default)
    {
        BacklogValidation.Change(backlogItemId, agent, reason, nameof(reason), noteRequired: true);
        var name = agent.Trim();
        var why = reason.Trim();
        return Conclude(backlogItemId, name, BacklogStatus.Blocked, OrchestrationEventTypes.BacklogBlocked, why, cancellationToken);
    }

    public Task<BacklogItem> ReleaseAsync(Guid backlogItemId, string agent, string? reason = null, CancellationToken cancellationToken = default)
    {
        BacklogValidation.Change(backlogItemId, agent, reason, nameof(reason));
        var name = agent.Trim();
        return ChangeAsync(backlogItemId, "be released", (item, now) =>
        {
            if (item.Status == BacklogStatus.Analyzing)
            {
                RequireHolder(item, name, "release it", "backlog (release)");
            }
            else if (item.Status != BacklogStatus.Blocked)
            {
                throw Refused(item, "backlog (release)");
            }

            var from = item.Status;
            item.Status = BacklogStatus.Backlog;
            item.AssignedToAgent = null;
            Events.Append(db, now, OrchestrationEventTypes.BacklogReleased, item.ProjectId, Entity, item.Id, name, Transition(from, item.Status, reason));
            return Task.CompletedTask;
        }, cancellationToken);
    }

    public async Task<WorkItem> PromoteAsync(Guid backlogItemId, BacklogPromotion promotion, CancellationToken cancellationToken = default)
    {
        BacklogValidation.Promotion(backlogItemId, promotion);
        var name = promotion.Agent.Trim();

        WorkItem? story = null;
        await ChangeAsync(backlogItemId, "be promoted", async (item, now) =>
        {
            if (item.Status != BacklogStatus.Ready)
            {
                throw Refused(item, "story (promote)");
            }

            await CheckStoryPlacementAsync(item.ProjectId, promotion, cancellationToken).ConfigureAwait(false);
            story = new WorkItem
            {
                Id = UuidV7.NewGuid(),
                ProjectId = item.ProjectId,
                Type = WorkItemType.Story,
                Title = item.Title,
                Description = item.Description,
                SuccessCriteria = item.SuccessCriteria,
                Priority = item.Priority,
                ParentId = promotion.EpicId,
                SprintId = promotion.SprintId,
                EstimatedHours = promotion.EstimatedHours,
                CreatedFromBacklogId = item.Id,
                PrimeApproved = false,
                Status = WorkItemStatus.Todo,
                DelegationStatus = DelegationStatus.Unassigned,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Add(story);
            Events.Append(db, now, OrchestrationEventTypes.BacklogPromoted, item.ProjectId, Entity, item.Id, name, new EventPayload { From = "ready", To = "ready", WorkItemId = story.Id });
            Events.Append(db, now, OrchestrationEventTypes.WorkItemCreated, item.ProjectId, "work_item", story.Id, name, new EventPayload { To = "todo", WorkItemId = story.Id });
        }, cancellationToken).ConfigureAwait(false);
        return story!;
    }

    public async Task<WorkItem> ApproveStoryAsync(Guid storyId, string agent, CancellationToken cancellationToken = default)
    {
        BacklogValidation.Change(storyId, agent, idField: nameof(storyId));
        var name = agent.Trim();
        return await writes.RunAsync("story.approve", LockScope.WorkItem(storyId), async ct =>
        {
            var story = await db.Set<WorkItem>().SingleOrDefaultAsync(w => w.Id == storyId, ct).ConfigureAwait(false)
                ?? throw new EntityNotFoundException("work item", storyId);
            if (story.Type != WorkItemType.Story)
            {
                throw new ArgumentException($"The work item '{storyId}' is a {StoredEnum.ToStore(story.Type)}; only a story can be approved.", nameof(storyId));
            }

            if (story.PrimeApproved)
            {
                throw new InvalidStateTransitionException("story", storyId, "approved", "approved", []);
            }

            var now = clock.GetUtcNow();
            story.PrimeApproved = true;
            story.UpdatedAt = now;
            Events.Append(db, now, OrchestrationEventTypes.StoryApproved, story.ProjectId, "work_item", story.Id, name, new EventPayload { WorkItemId = story.Id });
            return story;
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task<BacklogItem?> GetAsync(Guid backlogItemId, CancellationToken cancellationToken = default) =>
        db.Set<BacklogItem>().AsNoTracking().SingleOrDefaultAsync(b => b.Id == backlogItemId, cancellationToken);

    public async Task<IReadOnlyList<BacklogItem>> ListAsync(Guid projectId, BacklogStatus? status = null, int skip = 0, int take = 50, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        if (take is < 1 or > MaxPage)
        {
            throw new ArgumentOutOfRangeException(nameof(take), take, $"A page holds 1 to {MaxPage} items.");
        }

        if (status is { } wanted)
        {
            _ = StoredEnum.ToStore(wanted);
        }

        var query = db.Set<BacklogItem>().AsNoTracking().Where(b => b.ProjectId == projectId);
        if (status is { } filter)
        {
            query = query.Where(b => b.Status == filter);
        }

        return await query.OrderBy(b => b.Priority).ThenByDescending(b => b.BusinessValue).ThenBy(b => b.SubmittedAt).ThenBy(b => b.Id)
            .Skip(skip).Take(take).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    private Task<BacklogItem> Conclude(Guid backlogItemId, string agent, BacklogStatus to, string eventType, string? note, CancellationToken cancellationToken)
    {
        var requested = StoredEnum.ToStore(to);
        return ChangeAsync(backlogItemId, $"become {requested}", (item, now) =>
        {
            RequireHolder(item, agent, $"mark it {requested}", requested);
            item.Status = to;
            item.LastAnalyzed = now;
            Events.Append(db, now, eventType, item.ProjectId, Entity, item.Id, agent, Transition(BacklogStatus.Analyzing, to, note));
            return Task.CompletedTask;
        }, cancellationToken);
    }

    /// <summary>Loads the item under its lock, refuses promoted items, applies the change, and commits it with its events.</summary>
    private Task<BacklogItem> ChangeAsync(Guid backlogItemId, string operation, Func<BacklogItem, DateTimeOffset, Task> apply, CancellationToken cancellationToken) =>
        writes.RunAsync("backlog.change", LockScope.BacklogItem(backlogItemId), async ct =>
        {
            var item = await db.Set<BacklogItem>().SingleOrDefaultAsync(b => b.Id == backlogItemId, ct).ConfigureAwait(false)
                ?? throw new EntityNotFoundException("backlog item", backlogItemId);
            var story = await db.Set<WorkItem>().Where(w => w.CreatedFromBacklogId == backlogItemId).OrderBy(w => w.CreatedAt)
                .Select(w => (Guid?)w.Id).FirstOrDefaultAsync(ct).ConfigureAwait(false);
            if (story is { } storyId)
            {
                throw new BacklogItemPromotedException(backlogItemId, storyId, operation);
            }

            await apply(item, clock.GetUtcNow()).ConfigureAwait(false);
            return item;
        }, cancellationToken);

    private async Task CheckStoryPlacementAsync(Guid projectId, BacklogPromotion promotion, CancellationToken cancellationToken)
    {
        if (promotion.EpicId is { } epicId)
        {
            var epic = await db.Set<WorkItem>().AsNoTracking().Where(w => w.Id == epicId).Select(w => new { w.ProjectId, w.Type })
                .SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false) ?? throw new EntityNotFoundException("work item", epicId);
            if (epic.ProjectId != projectId)
            {
                throw new ProjectIsolationException($"epic '{epicId}'", epic.ProjectId, projectId);
            }

            if (epic.Type != WorkItemType.Epic)
            {
                throw new ArgumentException($"The work item '{epicId}' is a {StoredEnum.ToStore(epic.Type)}; a story's parent must be an epic.", nameof(promotion));
            }
        }

        if (promotion.SprintId is { } sprintId)
        {
            var sprint = await db.Set<Sprint>().AsNoTracking().Where(s => s.Id == sprintId).Select(s => new { s.ProjectId, s.Status })
                .SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false) ?? throw new EntityNotFoundException("sprint", sprintId);
            if (sprint.ProjectId != projectId)
            {
                throw new ProjectIsolationException($"sprint '{sprintId}'", sprint.ProjectId, projectId);
            }

            if (sprint.Status == SprintStatus.Completed)
            {
                throw new InvalidStateTransitionException("sprint", sprintId, "completed", "work added", []);
            }
        }
    }

    private int Score(Complexity complexity, int businessValue, int priority)
    {
        var score = risk.Score(new BacklogRiskFactors(complexity, businessValue, priority));
        return score is >= 0 and <= 100
            ? score
            : throw new InvalidOperationException($"The risk strategy {risk.GetType().FullName} scored {score}; a risk score must be 0 to 100. Nothing was written.");
    }

    private static void RequireHolder(BacklogItem item, string agent, string operation, string requested)
    {
        if (item.Status != BacklogStatus.Analyzing)
        {
            throw Refused(item, requested);
        }

        if (!string.Equals(item.AssignedToAgent, agent, StringComparison.Ordinal))
        {
            throw new BacklogItemHeldException(item.Id, item.AssignedToAgent, agent, operation);
        }
    }

    private static InvalidStateTransitionException Refused(BacklogItem item, string requested) =>
        new("backlog item", item.Id, StoredEnum.ToStore(item.Status), requested, Next[item.Status]);

    private static EventPayload Transition(BacklogStatus from, BacklogStatus to, string? reason) =>
        new() { From = StoredEnum.ToStore(from), To = StoredEnum.ToStore(to), Reason = reason };

    private static MetadataEntry Entry(string key, int value) => new() { Key = key, Value = value.ToString(CultureInfo.InvariantCulture) };
}
