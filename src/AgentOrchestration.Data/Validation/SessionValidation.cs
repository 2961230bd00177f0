using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Sessions;

namespace AgentOrchestration.Data.Validation;

/// <summary>The rules for starting sessions, heartbeats and session changes.</summary>
internal static class SessionValidation
{
    public static void Start(SessionStart? start)
    {
        ArgumentNullException.ThrowIfNull(start);
        Input.Id(start.ProjectId, "start.ProjectId");
        Input.Defined(start.AgentType, "start.AgentType");
        if (start.SessionId is not null)
        {
            SessionIds.ValidNew(start.SessionId, "start.SessionId");
        }

        Input.Id(start.AgentId, "start.AgentId");
        Input.Id(start.ParentStoryId, "start.ParentStoryId");
        Input.Id(start.BacklogId, "start.BacklogId");
        Input.Id(start.TaskId, "start.TaskId");
        Input.Range(start.RiskLevel, "start.RiskLevel", 0, SessionStart.MaxRiskLevel, "the risk level, 0 none");
        Input.Defined(start.OversightLevel, "start.OversightLevel");
        Input.Text(start.CurrentAction, "start.CurrentAction", InputLimits.Note);
    }

    public static void Heartbeat(string? sessionId, string? currentAction, TimeSpan? leaseDuration)
    {
        Key(sessionId);
        Input.Text(currentAction, nameof(currentAction), InputLimits.Note);
        if (leaseDuration is { } duration)
        {
            Input.Duration(duration, nameof(leaseDuration), ClaimOptions.MaxLeaseDuration);
        }
    }

    public static void Change(string? sessionId, string? reason)
    {
        Key(sessionId);
        Input.Text(reason, nameof(reason), InputLimits.Note);
    }

    public static void End(string? sessionId, SessionStatus outcome, string? reason)
    {
        Change(sessionId, reason);
        if (outcome is not (SessionStatus.Completed or SessionStatus.Failed or SessionStatus.Halted))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, $"outcome {outcome} is not an end state. Allowed: completed, failed, halted.");
        }
    }

    public static void Key(string? sessionId, string field = "sessionId") => SessionIds.ValidLookup(sessionId!, field);
}
