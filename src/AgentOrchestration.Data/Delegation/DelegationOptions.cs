using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Delegation;

/// <summary>Who makes a delegation change, with what context, and (for a lease holder) with which fencing token.</summary>
public sealed class DelegationOptions
{
    /// <summary>Gets or sets who makes the change, as recorded in the history and events.</summary>
    public string? Actor { get; set; }

    /// <summary>Gets or sets the host user making an assignment (<c>task_assignments.assigned_by</c>).</summary>
    public Guid? AssignedBy { get; set; }

    /// <summary>
    /// Gets or sets the fencing token of the caller's lease. When set, the change is refused with
    /// <see cref="LeaseLostException"/> unless it is the current assignment's token; lease holders always set it.
    /// </summary>
    public long? FencingToken { get; set; }

    /// <summary>Gets or sets the context handed over with an assignment (stored on the work item and the assignment).</summary>
    public DelegationContext? Context { get; set; }

    /// <summary>Gets or sets a note recorded in the history.</summary>
    public string? Note { get; set; }
}
