using System.Linq.Expressions;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;

namespace AgentOrchestration.Data.Claims;

/// <summary>
/// "Ready work" and the claim order, stated once in each language they run in: LINQ for the ready-work query
/// (<see cref="Work.IWorkItemService.GetReadyWorkAsync"/>), SQL for the claim statements of both providers.
/// Each SQL fragment sits beside the LINQ it must equal, so a change to one is a change to the other
/// (<c>Claims/ReadyWorkAgreementTests</c> generates random worlds and fails when the two disagree).
/// </summary>
/// <remarks>
/// Ready: a task or bug of the project, <c>todo</c> and unassigned, every dependency done. A claim also takes held work
/// whose lease lapsed, and only what the agent has the capabilities for. Order: priority (1 first), then creation time,
/// then id, so two items never tie.
/// </remarks>
internal static class ReadyWorkRule
{
    /// <summary>Delegation states of held work, which a claim takes over once the lease lapsed.</summary>
    public static readonly DelegationStatus[] HeldStates = [DelegationStatus.Assigned, DelegationStatus.InProgress];

    /// <summary>Assignment states that hold their item (and count against the agent's concurrency limit while the lease lasts).</summary>
    public static readonly AssignmentStatus[] ActiveAssignments = [AssignmentStatus.Assigned, AssignmentStatus.Started, AssignmentStatus.Paused];

    // Tasks and bugs are implemented, hence claimed; epics and stories only group them.
    private static readonly Expression<Func<WorkItem, bool>> IsClaimableType = w => w.Type == WorkItemType.Task || w.Type == WorkItemType.Bug;

    private static readonly Expression<Func<WorkItem, bool>> IsUnassignedTodo = w => w.Status == WorkItemStatus.Todo && w.DelegationStatus == DelegationStatus.Unassigned;

    private static readonly Expression<Func<WorkItem, bool>> DependenciesDone = w => !w.Dependencies.Any(d => d.DependsOn!.Status != WorkItemStatus.Done);

    /// <summary>The project's ready work (LINQ), not yet ordered: see <see cref="InClaimOrder"/>.</summary>
    public static IQueryable<WorkItem> Ready(IQueryable<WorkItem> items, Guid projectId) =>
        items.Where(w => w.ProjectId == projectId).Where(IsClaimableType).Where(IsUnassignedTodo).Where(DependenciesDone);

    /// <summary>
    /// What an agent with <paramref name="capabilities"/> may claim in the project at <paramref name="now"/> (LINQ): ready
    /// work or work whose lease lapsed, whose required capabilities the agent has. Include
    /// <see cref="WorkItem.CurrentAssignment"/> to take lapsed work over.
    /// </summary>
    public static IQueryable<WorkItem> Claimable(IQueryable<WorkItem> items, Guid projectId, List<string> capabilities, DateTimeOffset now) =>
        items.Where(w => w.ProjectId == projectId).Where(IsClaimableType).Where(Or(IsUnassignedTodo, Lapsed(now)))
            .Where(w => w.RequiredCapabilities == null || w.RequiredCapabilities.All(c => capabilities.Contains(c)))
            .Where(DependenciesDone);

    /// <summary>The claim order (LINQ).</summary>
    public static IOrderedQueryable<WorkItem> InClaimOrder(this IQueryable<WorkItem> items) =>
        items.OrderBy(w => w.Priority).ThenBy(w => w.CreatedAt).ThenBy(w => w.Id);

    private static Expression<Func<WorkItem, bool>> Lapsed(DateTimeOffset now) =>
        w => HeldStates.Contains(w.DelegationStatus) && w.CurrentAssignment != null && ActiveAssignments.Contains(w.CurrentAssignment.Status)
            && w.CurrentAssignment.LeaseExpiresAt != null && w.CurrentAssignment.LeaseExpiresAt <= now;

    private static Expression<Func<WorkItem, bool>> Or(Expression<Func<WorkItem, bool>> left, Expression<Func<WorkItem, bool>> right)
    {
        var body = new Rebind(right.Parameters[0], left.Parameters[0]).Visit(right.Body);
        return Expression.Lambda<Func<WorkItem, bool>>(Expression.OrElse(left.Body, body), left.Parameters);
    }

    /// <summary>The same rule as SQL fragments over the store names of the model, for the claim statements of both providers.</summary>
    /// <param name="n">The model's table and column names.</param>
    internal sealed class Sql(StoreNames n)
    {
        /// <summary>SQL of <see cref="IsClaimableType"/>, for the work item row <paramref name="w"/>.</summary>
        public string ClaimableType(string w) => $"{w}.{W("Type")} IN {List([WorkItemType.Task, WorkItemType.Bug])}";

        /// <summary>SQL of <see cref="IsUnassignedTodo"/>.</summary>
        public string UnassignedTodo(string w) =>
            $"{w}.{W("DelegationStatus")} = {Literal(DelegationStatus.Unassigned)} AND {w}.{W("Status")} = {Literal(WorkItemStatus.Todo)}";

        /// <summary>
        /// SQL of <see cref="Lapsed"/>, for the work item row <paramref name="w"/> joined to its current assignment row
        /// <paramref name="current"/> (the join stands for <c>CurrentAssignment != null</c>; a null expiry fails <c>&lt;=</c>).
        /// </summary>
        public string Lapsed(string w, string current, string now) =>
            $"{w}.{W("DelegationStatus")} IN {List(HeldStates)} AND {current}.{T("Status")} IN {ActiveAssignmentList} AND {current}.{T("LeaseExpiresAt")} <= {now}";

        /// <summary>SQL of the capability condition of <see cref="Claimable"/>; <paramref name="capabilities"/> is a <c>text[]</c>.</summary>
        public string CapableOf(string w, string capabilities) =>
            $"({w}.{W("RequiredCapabilities")} IS NULL OR {w}.{W("RequiredCapabilities")} <@ {capabilities})";

        /// <summary>
        /// SQL of the capability condition of <see cref="Claimable"/> for SQLite, where <c>required_capabilities</c> is a JSON
        /// array: every required name is one of the agent's capability rows (<paramref name="agentId"/>, an SQL expression).
        /// </summary>
        public string CapableOfAgentJson(string w, string agentId) =>
            $"({w}.{W("RequiredCapabilities")} IS NULL OR NOT EXISTS (SELECT 1 FROM json_each({w}.{W("RequiredCapabilities")}) r"
            + $" WHERE r.value NOT IN (SELECT c.{n.Column<AgentCapability>("Capability")} FROM {n.Table<AgentCapability>()} c WHERE c.{n.Column<AgentCapability>("AgentId")} = {agentId})))";

        /// <summary>SQL of <see cref="DependenciesDone"/>.</summary>
        public string DependenciesDone(string w) => $"""
            NOT EXISTS (
                  SELECT 1 FROM {n.Table<WorkItemDependency>()} d JOIN {n.Table<WorkItem>()} p ON p.{W("Id")} = d.{n.Column<WorkItemDependency>("DependsOnId")}
                  WHERE d.{n.Column<WorkItemDependency>("WorkItemId")} = {w}.{W("Id")} AND p.{W("Status")} <> {Literal(WorkItemStatus.Done)})
            """;

        /// <summary>SQL of <see cref="HeldStates"/>, a parenthesised list for <c>IN</c>.</summary>
        public static string HeldList => List(HeldStates);

        /// <summary>SQL of <see cref="ActiveAssignments"/>, a parenthesised list for <c>IN</c>.</summary>
        public static string ActiveAssignmentList => List(ActiveAssignments);

        /// <summary>
        /// SQL of <see cref="InClaimOrder"/>: the ORDER BY list, each key named by <paramref name="column"/> from its
        /// <see cref="WorkItem"/> property (a table column, or a projection's alias).
        /// </summary>
        public static string ClaimOrder(Func<string, string> column) =>
            $"{column(nameof(WorkItem.Priority))}, {column(nameof(WorkItem.CreatedAt))}, {column(nameof(WorkItem.Id))}";

        private string W(string property) => n.Column<WorkItem>(property);

        private string T(string property) => n.Column<TaskAssignment>(property);
    }

    /// <summary>A stored enum value as an SQL literal (stored values are snake_case words, nothing to escape).</summary>
    internal static string Literal<TEnum>(TEnum value)
        where TEnum : struct, Enum => $"'{StoredEnum.ToStore(value)}'";

    private static string List<TEnum>(IEnumerable<TEnum> values)
        where TEnum : struct, Enum => $"({string.Join(", ", values.Select(Literal))})";

    private sealed class Rebind(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : base.VisitParameter(node);
    }
}
