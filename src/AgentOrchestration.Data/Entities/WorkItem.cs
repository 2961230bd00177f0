namespace AgentOrchestration.Data.Entities;

/// <summary>An epic, story, task or bug (table <c>work_items</c>), with its delegation fields and the columns only stories or only tasks use (see docs/schema.md).</summary>
public class WorkItem
{
    /// <summary>Gets or sets the identifier (UUID v7).</summary>
    public Guid Id { get; set; }

    /// <summary>Gets or sets the owning project's identifier.</summary>
    public Guid ProjectId { get; set; }

    /// <summary>Gets or sets the sprint the item is planned into, if any.</summary>
    public Guid? SprintId { get; set; }

    /// <summary>Gets or sets the parent item (a story's epic, a task's story), if any.</summary>
    public Guid? ParentId { get; set; }

    /// <summary>Gets or sets the kind of item.</summary>
    public WorkItemType Type { get; set; }

    /// <summary>Gets or sets the title.</summary>
    public string Title { get; set; } = null!;

    /// <summary>Gets or sets the description.</summary>
    public string? Description { get; set; }

    /// <summary>Gets or sets the success criteria that QA checks.</summary>
    public string? SuccessCriteria { get; set; }

    /// <summary>Gets or sets the workflow status; <see cref="WorkItemStatus.Todo"/> by default.</summary>
    public WorkItemStatus Status { get; set; }

    /// <summary>Gets or sets the priority from 1 (critical) to 5 (nice to have); 3 by default.</summary>
    public int Priority { get; set; } = 3;

    /// <summary>Gets or sets whether the assignee is an agent or a host user.</summary>
    public AssigneeType? AssigneeType { get; set; }

    /// <summary>Gets or sets the assignee's identifier: an agent profile's id or a host user's id.</summary>
    public Guid? AssigneeId { get; set; }

    /// <summary>Gets or sets the delegation status; <see cref="DelegationStatus.Unassigned"/> by default.</summary>
    public DelegationStatus DelegationStatus { get; set; }

    /// <summary>Gets or sets the assignment context and notes (JSON).</summary>
    public DelegationContext? DelegationContext { get; set; }

    /// <summary>Gets or sets the history of assignment changes (JSON), appended by the library.</summary>
    public List<DelegationHistoryEntry>? DelegationHistory { get; set; }

    /// <summary>Gets or sets the estimated effort in hours.</summary>
    public decimal? EstimatedHours { get; set; }

    /// <summary>Gets or sets the effort spent in hours.</summary>
    public decimal? ActualHours { get; set; }

    /// <summary>Gets or sets the task's QA status; <see cref="QaStatus.NotStarted"/> by default.</summary>
    public QaStatus QaStatus { get; set; }

    /// <summary>Gets or sets whether the task's success criteria are met.</summary>
    public bool SuccessCriteriaMet { get; set; }

    /// <summary>Gets or sets the <see cref="AgentSession.SessionId"/> of the session implementing the task.</summary>
    public string? AssignedAgentSession { get; set; }

    /// <summary>Gets or sets the backlog item a story was promoted from.</summary>
    public Guid? CreatedFromBacklogId { get; set; }

    /// <summary>Gets or sets whether the prime agent approved the story.</summary>
    public bool PrimeApproved { get; set; }

    /// <summary>Gets or sets the capability names an agent needs to claim the item; <see langword="null"/> or empty means none.</summary>
    public List<string>? RequiredCapabilities { get; set; }

    /// <summary>Gets or sets the agent this item is assigned to when <see cref="AssigneeType"/> is <see cref="Entities.AssigneeType.Agent"/>.</summary>
    public Guid? AssignedAgentId { get; set; }

    /// <summary>Gets or sets the assignment that currently holds the item.</summary>
    public Guid? CurrentAssignmentId { get; set; }

    /// <summary>Gets or sets when the item was created (UTC).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Gets or sets when the item was last updated (UTC).</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Gets or sets the owning project.</summary>
    public Project? Project { get; set; }

    /// <summary>Gets or sets the sprint.</summary>
    public Sprint? Sprint { get; set; }

    /// <summary>Gets or sets the parent item.</summary>
    public WorkItem? Parent { get; set; }

    /// <summary>Gets the child items (an epic's stories, a story's tasks).</summary>
    public ICollection<WorkItem> Children { get; } = [];

    /// <summary>Gets the tasks among <see cref="Children"/> (loaded children only).</summary>
    public IEnumerable<WorkItem> Tasks => Children.Where(c => c.Type is WorkItemType.Task or WorkItemType.Bug);

    /// <summary>Gets or sets the agent the item is assigned to.</summary>
    public AgentProfile? AssignedAgent { get; set; }

    /// <summary>Gets or sets the assignment that currently holds the item.</summary>
    public TaskAssignment? CurrentAssignment { get; set; }

    /// <summary>Gets the item's assignments, past and present.</summary>
    public ICollection<TaskAssignment> Assignments { get; } = [];

    /// <summary>Gets the item's QA results.</summary>
    public ICollection<QaResult> QaResults { get; } = [];

    /// <summary>Gets the dependencies this item waits on.</summary>
    public ICollection<WorkItemDependency> Dependencies { get; } = [];

    /// <summary>Gets the backlog item a story was promoted from.</summary>
    public BacklogItem? CreatedFromBacklog { get; set; }
}
