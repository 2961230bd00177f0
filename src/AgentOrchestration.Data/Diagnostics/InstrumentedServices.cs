using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Backlog;
using AgentOrchestration.Data.Dashboards;
using AgentOrchestration.Data.Delegation;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Faults;
using AgentOrchestration.Data.Sprints;
using AgentOrchestration.Data.Storage;
using AgentOrchestration.Data.Work;

// The services whose operations have no span or metric of their own: as registered, each method runs under the retry
// policy (ServiceBoundary) and reports retries and give-ups; what it does is the service's.
namespace AgentOrchestration.Data.Diagnostics;

/// <summary><see cref="IAgentRegistry"/> as registered: agent registration, lookup and lifecycle, each operation under the retry policy.</summary>
internal sealed class InstrumentedAgentRegistry(AgentRegistry inner, FaultPolicy policy, OrchestrationContext orchestration)
    : ServiceBoundary<IAgentRegistry>(policy, orchestration), IAgentRegistry
{
    private const string Prefix = nameof(IAgentRegistry) + ".";

    public Task<AgentProfile> RegisterAsync(AgentRegistration registration, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(RegisterAsync), (inner, registration), static (s, ct) => s.inner.RegisterAsync(s.registration, ct), cancellationToken);

    public Task<AgentProfile> GetAsync(string slug, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(GetAsync), (inner, slug), static (s, ct) => s.inner.GetAsync(s.slug, ct), cancellationToken);

    public Task<AgentProfile> GetByIdAsync(Guid agentId, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(GetByIdAsync), (inner, agentId), static (s, ct) => s.inner.GetByIdAsync(s.agentId, ct), cancellationToken);

    public Task<AgentProfile> UpdateAsync(string slug, AgentProfileUpdate update, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(UpdateAsync), (inner, slug, update), static (s, ct) => s.inner.UpdateAsync(s.slug, s.update, ct), cancellationToken);

    public Task<AgentProfile> SetCapabilitiesAsync(string slug, IReadOnlyCollection<CapabilityEntry> capabilities, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(SetCapabilitiesAsync), (inner, slug, capabilities), static (s, ct) => s.inner.SetCapabilitiesAsync(s.slug, s.capabilities, ct), cancellationToken);

    public Task<AgentProfile> SetConcurrencyLimitAsync(string slug, int maxConcurrentTasks, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(SetConcurrencyLimitAsync), (inner, slug, maxConcurrentTasks), static (s, ct) => s.inner.SetConcurrencyLimitAsync(s.slug, s.maxConcurrentTasks, ct), cancellationToken);

    public Task<AgentProfile> ActivateAsync(string slug, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(ActivateAsync), (inner, slug), static (s, ct) => s.inner.ActivateAsync(s.slug, ct), cancellationToken);

    public Task<AgentProfile> DeactivateAsync(string slug, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(DeactivateAsync), (inner, slug), static (s, ct) => s.inner.DeactivateAsync(s.slug, ct), cancellationToken);

    public Task<AgentProfile> ArchiveAsync(string slug, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(ArchiveAsync), (inner, slug), static (s, ct) => s.inner.ArchiveAsync(s.slug, ct), cancellationToken);
}

/// <summary><see cref="IWorkItemService"/> as registered: projects, work items and dependencies, each operation under the retry policy.</summary>
internal sealed class InstrumentedWorkItemService(WorkItemService inner, FaultPolicy policy, OrchestrationContext orchestration)
    : ServiceBoundary<IWorkItemService>(policy, orchestration), IWorkItemService
{
    private const string Prefix = nameof(IWorkItemService) + ".";

    public Task<Project> CreateProjectAsync(string key, string name, string? description = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(CreateProjectAsync), (inner, key, name, description), static (s, ct) => s.inner.CreateProjectAsync(s.key, s.name, s.description, ct), cancellationToken);

    public Task<WorkItem> CreateWorkItemAsync(NewWorkItem item, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(CreateWorkItemAsync), (inner, item), static (s, ct) => s.inner.CreateWorkItemAsync(s.item, ct), cancellationToken);

    public Task AddDependencyAsync(Guid workItemId, Guid dependsOnId, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(AddDependencyAsync), (inner, workItemId, dependsOnId), static (s, ct) => s.inner.AddDependencyAsync(s.workItemId, s.dependsOnId, ct), cancellationToken);

    public Task<bool> RemoveDependencyAsync(Guid workItemId, Guid dependsOnId, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(RemoveDependencyAsync), (inner, workItemId, dependsOnId), static (s, ct) => s.inner.RemoveDependencyAsync(s.workItemId, s.dependsOnId, ct), cancellationToken);

    public Task<WorkItem?> GetWorkItemAsync(Guid workItemId, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(GetWorkItemAsync), (inner, workItemId), static (s, ct) => s.inner.GetWorkItemAsync(s.workItemId, ct), cancellationToken);

    public Task<IReadOnlyList<WorkItem>> GetReadyWorkAsync(Guid projectId, int skip = 0, int take = 50, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(GetReadyWorkAsync), (inner, projectId, skip, take), static (s, ct) => s.inner.GetReadyWorkAsync(s.projectId, s.skip, s.take, ct), cancellationToken);
}

/// <summary><see cref="ISprintService"/> as registered: sprint planning and progress, each operation under the retry policy.</summary>
internal sealed class InstrumentedSprintService(SprintService inner, FaultPolicy policy, OrchestrationContext orchestration)
    : ServiceBoundary<ISprintService>(policy, orchestration), ISprintService
{
    private const string Prefix = nameof(ISprintService) + ".";

    public Task<Sprint> PlanAsync(SprintPlan plan, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(PlanAsync), (inner, plan), static (s, ct) => s.inner.PlanAsync(s.plan, ct), cancellationToken);

    public Task<Sprint> StartAsync(Guid sprintId, string? actor = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(StartAsync), (inner, sprintId, actor), static (s, ct) => s.inner.StartAsync(s.sprintId, s.actor, ct), cancellationToken);

    public Task<SprintCompletion> CompleteAsync(Guid sprintId, string? actor = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(CompleteAsync), (inner, sprintId, actor), static (s, ct) => s.inner.CompleteAsync(s.sprintId, s.actor, ct), cancellationToken);

    public Task<int> AddWorkAsync(Guid sprintId, IReadOnlyCollection<Guid> workItemIds, string? actor = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(AddWorkAsync), (inner, sprintId, workItemIds, actor), static (s, ct) => s.inner.AddWorkAsync(s.sprintId, s.workItemIds, s.actor, ct), cancellationToken);

    public Task<int> RemoveWorkAsync(Guid sprintId, IReadOnlyCollection<Guid> workItemIds, string? actor = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(RemoveWorkAsync), (inner, sprintId, workItemIds, actor), static (s, ct) => s.inner.RemoveWorkAsync(s.sprintId, s.workItemIds, s.actor, ct), cancellationToken);

    public Task<SprintProgress> GetProgressAsync(Guid sprintId, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(GetProgressAsync), (inner, sprintId), static (s, ct) => s.inner.GetProgressAsync(s.sprintId, ct), cancellationToken);

    public Task<Sprint?> GetActiveAsync(Guid projectId, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(GetActiveAsync), (inner, projectId), static (s, ct) => s.inner.GetActiveAsync(s.projectId, ct), cancellationToken);
}

/// <summary><see cref="IBacklogService"/> as registered: the backlog, each operation under the retry policy.</summary>
internal sealed class InstrumentedBacklogService(BacklogService inner, FaultPolicy policy, OrchestrationContext orchestration)
    : ServiceBoundary<IBacklogService>(policy, orchestration), IBacklogService
{
    private const string Prefix = nameof(IBacklogService) + ".";

    public Task<BacklogItem> SubmitAsync(BacklogSubmission submission, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(SubmitAsync), (inner, submission), static (s, ct) => s.inner.SubmitAsync(s.submission, ct), cancellationToken);

    public Task<BacklogItem> StartAnalysisAsync(Guid backlogItemId, string agent, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(StartAnalysisAsync), (inner, backlogItemId, agent), static (s, ct) => s.inner.StartAnalysisAsync(s.backlogItemId, s.agent, ct), cancellationToken);

    public Task<BacklogItem> RecordAnalysisAsync(Guid backlogItemId, BacklogAnalysis analysis, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(RecordAnalysisAsync), (inner, backlogItemId, analysis), static (s, ct) => s.inner.RecordAnalysisAsync(s.backlogItemId, s.analysis, ct), cancellationToken);

    public Task<BacklogItem> MarkReadyAsync(Guid backlogItemId, string agent, string? note = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(MarkReadyAsync), (inner, backlogItemId, agent, note), static (s, ct) => s.inner.MarkReadyAsync(s.backlogItemId, s.agent, s.note, ct), cancellationToken);

    public Task<BacklogItem> BlockAsync(Guid backlogItemId, string agent, string reason, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(BlockAsync), (inner, backlogItemId, agent, reason), static (s, ct) => s.inner.BlockAsync(s.backlogItemId, s.agent, s.reason, ct), cancellationToken);

    public Task<BacklogItem> ReleaseAsync(Guid backlogItemId, string agent, string? reason = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(ReleaseAsync), (inner, backlogItemId, agent, reason), static (s, ct) => s.inner.ReleaseAsync(s.backlogItemId, s.agent, s.reason, ct), cancellationToken);

    public Task<WorkItem> PromoteAsync(Guid backlogItemId, BacklogPromotion promotion, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(PromoteAsync), (inner, backlogItemId, promotion), static (s, ct) => s.inner.PromoteAsync(s.backlogItemId, s.promotion, ct), cancellationToken);

    public Task<WorkItem> ApproveStoryAsync(Guid storyId, string agent, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(ApproveStoryAsync), (inner, storyId, agent), static (s, ct) => s.inner.ApproveStoryAsync(s.storyId, s.agent, ct), cancellationToken);

    public Task<BacklogItem?> GetAsync(Guid backlogItemId, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(GetAsync), (inner, backlogItemId), static (s, ct) => s.inner.GetAsync(s.backlogItemId, ct), cancellationToken);

    public Task<IReadOnlyList<BacklogItem>> ListAsync(Guid projectId, BacklogStatus? status = null, int skip = 0, int take = 50, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(ListAsync), (inner, projectId, status, skip, take), static (s, ct) => s.inner.ListAsync(s.projectId, s.status, s.skip, s.take, ct), cancellationToken);
}

/// <summary><see cref="IDelegationService"/> as registered: delegation, each operation under the retry policy.</summary>
internal sealed class InstrumentedDelegationService(DelegationService inner, FaultPolicy policy, OrchestrationContext orchestration)
    : ServiceBoundary<IDelegationService>(policy, orchestration), IDelegationService
{
    private const string Prefix = nameof(IDelegationService) + ".";

    public Task<WorkItem> AssignAsync(Guid workItemId, Assignee assignee, DelegationOptions? options = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(AssignAsync), (inner, workItemId, assignee, options), static (s, ct) => s.inner.AssignAsync(s.workItemId, s.assignee, s.options, ct), cancellationToken);

    public Task<WorkItem> StartAsync(Guid workItemId, DelegationOptions? options = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(StartAsync), (inner, workItemId, options), static (s, ct) => s.inner.StartAsync(s.workItemId, s.options, ct), cancellationToken);

    public Task<WorkItem> PauseAsync(Guid workItemId, DelegationOptions? options = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(PauseAsync), (inner, workItemId, options), static (s, ct) => s.inner.PauseAsync(s.workItemId, s.options, ct), cancellationToken);

    public Task<WorkItem> ResumeAsync(Guid workItemId, DelegationOptions? options = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(ResumeAsync), (inner, workItemId, options), static (s, ct) => s.inner.ResumeAsync(s.workItemId, s.options, ct), cancellationToken);

    public Task<WorkItem> BlockAsync(Guid workItemId, string reason, DelegationOptions? options = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(BlockAsync), (inner, workItemId, reason, options), static (s, ct) => s.inner.BlockAsync(s.workItemId, s.reason, s.options, ct), cancellationToken);

    public Task<WorkItem> UnblockAsync(Guid workItemId, DelegationOptions? options = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(UnblockAsync), (inner, workItemId, options), static (s, ct) => s.inner.UnblockAsync(s.workItemId, s.options, ct), cancellationToken);

    public Task<WorkItem> CompleteAsync(Guid workItemId, DelegationOptions? options = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(CompleteAsync), (inner, workItemId, options), static (s, ct) => s.inner.CompleteAsync(s.workItemId, s.options, ct), cancellationToken);

    public Task<WorkItem> CancelAsync(Guid workItemId, DelegationOptions? options = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(CancelAsync), (inner, workItemId, options), static (s, ct) => s.inner.CancelAsync(s.workItemId, s.options, ct), cancellationToken);

    public Task<WorkItem> ReassignAsync(Guid workItemId, Assignee assignee, DelegationOptions? options = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(ReassignAsync), (inner, workItemId, assignee, options), static (s, ct) => s.inner.ReassignAsync(s.workItemId, s.assignee, s.options, ct), cancellationToken);
}

/// <summary><see cref="IOrchestrationDashboard"/> as registered: the dashboard queries, each operation under the retry policy.</summary>
internal sealed class InstrumentedDashboard(OrchestrationDashboard inner, FaultPolicy policy, OrchestrationContext orchestration)
    : ServiceBoundary<IOrchestrationDashboard>(policy, orchestration), IOrchestrationDashboard
{
    private const string Prefix = nameof(IOrchestrationDashboard) + ".";

    public Task<IReadOnlyList<WorkStatusCount>> GetWorkByStatusAsync(Guid projectId, Guid? sprintId = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(GetWorkByStatusAsync), (inner, projectId, sprintId), static (s, ct) => s.inner.GetWorkByStatusAsync(s.projectId, s.sprintId, ct), cancellationToken);

    public Task<IReadOnlyList<AgentWorkload>> GetAgentWorkloadAsync(Guid projectId, Guid? sprintId = null, int skip = 0, int take = 50, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(GetAgentWorkloadAsync), (inner, projectId, sprintId, skip, take), static (s, ct) => s.inner.GetAgentWorkloadAsync(s.projectId, s.sprintId, s.skip, s.take, ct), cancellationToken);

    public Task<IReadOnlyList<LiveSession>> GetActiveSessionsAsync(Guid projectId, int skip = 0, int take = 50, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(GetActiveSessionsAsync), (inner, projectId, skip, take), static (s, ct) => s.inner.GetActiveSessionsAsync(s.projectId, s.skip, s.take, ct), cancellationToken);

    public Task<IReadOnlyList<QaPassRate>> GetQaPassRatesAsync(Guid projectId, Guid? sprintId = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(GetQaPassRatesAsync), (inner, projectId, sprintId), static (s, ct) => s.inner.GetQaPassRatesAsync(s.projectId, s.sprintId, ct), cancellationToken);

    public Task<IReadOnlyList<StalledWorkItem>> GetBlockedAndStaleWorkAsync(Guid projectId, TimeSpan staleAfter, Guid? sprintId = null, int skip = 0, int take = 50, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(GetBlockedAndStaleWorkAsync), (inner, projectId, staleAfter, sprintId, skip, take), static (s, ct) => s.inner.GetBlockedAndStaleWorkAsync(s.projectId, s.staleAfter, s.sprintId, s.skip, s.take, ct), cancellationToken);

    public Task<IReadOnlyList<RecentEvent>> GetRecentEventsAsync(Guid projectId, int skip = 0, int take = 50, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(GetRecentEventsAsync), (inner, projectId, skip, take), static (s, ct) => s.inner.GetRecentEventsAsync(s.projectId, s.skip, s.take, ct), cancellationToken);

    public Task<DashboardSnapshot> GetSnapshotAsync(Guid projectId, TimeSpan staleAfter, Guid? sprintId = null, int take = 50, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(GetSnapshotAsync), (inner, projectId, staleAfter, sprintId, take), static (s, ct) => s.inner.GetSnapshotAsync(s.projectId, s.staleAfter, s.sprintId, s.take, ct), cancellationToken);
}
