using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Delegation;

/// <summary>Who makes a delegation change, with what context, and (for a lease holder) with which fencing token.</summary>
public sealed class DelegationOptions
{
    /// <summary>Gets or sets who makes the change, as recorded in the history and events (1 to 200 characters, one line).</summary>
    public string? Actor { get; set; }

    /// <summary>Gets or sets the host user making an assignment (<c>task_assignments.assigned_by</c>).</summary>
    public Guid? AssignedBy { get; set; }

    /// <summary>
    /// Gets or sets the fencing token of the caller's lease. When set, the change is refused with
    /// <see cref="LeaseLostException"/> unless it is the current assignment's token, that assignment is active and held by its
    /// agent, and its lease has not expired; lease holders always set it.
    /// </summary>
    public long? FencingToken { get; set; }

    /// <summary>The assignment of the lease a <see cref="Claims.IWorkClaimer"/> write presents, checked with the token (see <see cref="Claims.LeaseCheck"/>).</summary>
    internal Guid? LeaseAssignmentId { get; init; }

    /// <summary>Gets or sets the context handed over with an assignment (stored on the work item and the assignment).</summary>
    public DelegationContext? Context { get; set; }

    /// <summary>Gets or sets a note recorded in the history (at most 2000 characters).</summary>
    public string? Note { get; set; }

    /// <summary>
    /// Gets or sets the session that will implement the work, for assign, reassign and start: it is recorded in
    /// <c>work_items.assigned_agent_session</c> (QA results must come from another session, and its oversight level decides
    /// which QA types the task needs) and in <c>agent_sessions.task_id</c>. The session must exist, be active, belong to the
    /// work item's project and, if it names an agent, to the assignee. Assign, reassign (and cancel) without a session clear
    /// the recorded one; start without a session keeps it; the other changes ignore this value.
    /// </summary>
    public string? SessionId { get; set; }
}
