using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Sessions;

namespace AgentOrchestration.Data.Diagnostics;

/// <summary><see cref="ISessionService"/> as registered: the heartbeat's span and log around the service that does the work.</summary>
internal sealed class InstrumentedSessionService(SessionService inner, OrchestrationTelemetry telemetry) : ISessionService
{
    public Task<AgentSession> StartAsync(SessionStart start, CancellationToken cancellationToken = default) => inner.StartAsync(start, cancellationToken);

    public async Task<AgentSession> HeartbeatAsync(string sessionId, string? currentAction = null, TimeSpan? leaseDuration = null, CancellationToken cancellationToken = default)
    {
        using var span = OrchestrationTelemetry.StartSpan(SpanNames.Heartbeat)?.SetTag(TagNames.SessionId, sessionId);
        try
        {
            var session = await inner.HeartbeatAsync(sessionId, currentAction, leaseDuration, cancellationToken).ConfigureAwait(false);
            span?.SetTag(TagNames.ProjectId, session.ProjectId).SetTag(TagNames.AgentId, session.AgentId).SetTag(TagNames.Outcome, Outcomes.Ok);
            OrchestrationLog.HeartbeatRecorded(telemetry.Sessions, sessionId);
            return session;
        }
        catch (Exception exception)
        {
            switch (OrchestrationTelemetry.Fail(span, exception))
            {
                case Outcomes.Error:
                    OrchestrationLog.OperationFailed(telemetry.Sessions, exception, "Heartbeat");
                    break;
                case Outcomes.Cancelled:
                    break;
                default:
                    OrchestrationLog.HeartbeatRefused(telemetry.Sessions, sessionId, exception);
                    break;
            }

            throw;
        }
    }

    public Task<AgentSession> PauseAsync(string sessionId, string? reason = null, CancellationToken cancellationToken = default) => inner.PauseAsync(sessionId, reason, cancellationToken);

    public Task<AgentSession> ResumeAsync(string sessionId, string? reason = null, CancellationToken cancellationToken = default) => inner.ResumeAsync(sessionId, reason, cancellationToken);

    public Task<AgentSession> EndAsync(string sessionId, SessionStatus outcome, string? reason = null, CancellationToken cancellationToken = default) =>
        inner.EndAsync(sessionId, outcome, reason, cancellationToken);

    public Task<AgentSession?> GetAsync(string sessionId, CancellationToken cancellationToken = default) => inner.GetAsync(sessionId, cancellationToken);
}

/// <summary><see cref="ISessionReaper"/> as registered: the sweep's span, counters and its Information log (only when it reaped something).</summary>
internal sealed class InstrumentedSessionReaper(SessionReaper inner, OrchestrationTelemetry telemetry) : ISessionReaper
{
    public async Task<SessionReapResult> ReapAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        using var span = OrchestrationTelemetry.StartSpan(SpanNames.Reap);
        try
        {
            var result = await inner.ReapAsync(timeout, cancellationToken).ConfigureAwait(false);
            span?.SetTag(TagNames.Outcome, Outcomes.Ok)
                .SetTag(TagNames.SessionsReaped, result.SessionsReaped)
                .SetTag(TagNames.LocksReleased, result.LocksReleased)
                .SetTag(TagNames.ItemsReturned, result.WorkItemsReturned.Count);
            telemetry.SessionsReaped.Add(result.SessionsReaped);
            telemetry.ItemsReturned.Add(result.WorkItemsReturned.Count);
            telemetry.LocksReleasedByReaper.Add(result.LocksReleased);
            if (result.SessionsReaped > 0)
            {
                OrchestrationLog.SessionsReaped(telemetry.Sessions, result.SessionIds, result.LocksReleased, result.WorkItemsReturned.Count);
            }
            else
            {
                OrchestrationLog.NothingToReap(telemetry.Sessions, timeout);
            }

            return result;
        }
        catch (Exception exception)
        {
            if (OrchestrationTelemetry.Fail(span, exception) == Outcomes.Error)
            {
                OrchestrationLog.OperationFailed(telemetry.Sessions, exception, "Reap");
            }

            throw;
        }
    }
}
