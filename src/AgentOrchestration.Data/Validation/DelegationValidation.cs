using AgentOrchestration.Data.Delegation;
using AgentOrchestration.Data.Sessions;

namespace AgentOrchestration.Data.Validation;

/// <summary>The rules for delegation calls: the work item and options (every call), the assignee and the reason.</summary>
internal static class DelegationValidation
{
    public static void Change(Guid workItemId, DelegationOptions? options)
    {
        Input.Id(workItemId, nameof(workItemId));
        if (options is null)
        {
            return;
        }

        Input.OptionalName(options.Actor, "options.Actor", InputLimits.Actor);
        Input.Id(options.AssignedBy, "options.AssignedBy");
        if (options.FencingToken is < 1)
        {
            throw new ArgumentOutOfRangeException("options.FencingToken", options.FencingToken, $"options.FencingToken {options.FencingToken} is out of range. Allowed: 1 or more (the token of the caller's lease), or null.");
        }

        if (options.Context is { } context)
        {
            Input.Text(context.Notes, "options.Context.Notes", InputLimits.Text);
            Input.Text(context.Instructions, "options.Context.Instructions", InputLimits.Text);
            Input.Entries(context.Files, "options.Context.Files", entry: (file, name) => Input.Name(file, name, InputLimits.Note), required: true);
            AgentValidation.Metadata(context.Data, "options.Context.Data");
            Input.Entries(context.Data, "options.Context.Data", required: true);
        }

        Input.Text(options.Note, "options.Note", InputLimits.Note);
        if (options.SessionId is not null)
        {
            SessionIds.ValidLookup(options.SessionId, "options.SessionId");
        }
    }

    /// <summary>The assignee of an assign or reassign (the work item and options are checked by <see cref="Change"/>).</summary>
    public static void Assignee(Assignee? assignee)
    {
        ArgumentNullException.ThrowIfNull(assignee);
        Input.Defined(assignee.Type, "assignee.Type");
        Input.Id(assignee.Id, "assignee.Id");
    }

    /// <summary>The reason of a block (the work item and options are checked by <see cref="Change"/>).</summary>
    public static void Reason(string? reason) => Input.Text(reason, nameof(reason), InputLimits.Note, required: true);
}
