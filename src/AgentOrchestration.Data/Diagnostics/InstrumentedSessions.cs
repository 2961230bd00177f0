using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Faults;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Storage;

namespace AgentOrchestration.Data.Diagnostics;

/// <summary>
/// <see cref="ISessionService"/> as registered: each operation under the retry policy (<see cref="ServiceBoundary{TService}"/>),
/// with the heartbeat's span and log around the service that does the work.
/// </summary>
internal sealed class InstrumentedSessionService(SessionService inner, OrchestrationTelemetry telemetry, FaultPolicy policy, OrchestrationContext orchestration)
    : ServiceBoundary<ISessionService>(policy, orchestration), ISessionService
{
    private const string Prefix = nameof(ISessionService) + ".";

    public Task<AgentSession> StartAsync(SessionStart start, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(StartAsync), (inner, start), static (s, ct) => s.inner.StartAsync(s.start, ct), cancellationToken);

    public Task<AgentSession> HeartbeatAsync(string sessionId, string? currentAction = null, TimeSpan? leaseDuration = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(HeartbeatAsync), (self: this, sessionId, currentAction, leaseDuration), static (s, ct) => s.self.HeartbeatOnceAsync(s.sessionId, s.currentAction, s.leaseDuration, ct), cancellationToken);

    public Task<AgentSession> PauseAsync(string sessionId, string? reason = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(PauseAsync), (inner, sessionId, reason), static (s, ct) => s.inner.PauseAsync(s.sessionId, s.reason, ct), cancellationToken);

    public Task<AgentSession> ResumeAsync(string sessionId, string? reason = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(ResumeAsync), (inner, sessionId, reason), static (s, ct) => s.inner.ResumeAsync(s.sessionId, s.reason, ct), cancellationToken);

    public Task<AgentSession> EndAsync(string sessionId, SessionStatus outcome, string? reason = null, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(EndAsync), (inner, sessionId, outcome, reason), static (s, ct) => s.inner.EndAsync(s.sessionId, s.outcome, s.reason, ct), cancellationToken);

    public Task<AgentSession?> GetAsync(string sessionId, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(GetAsync), (inner, sessionId), static (s, ct) => s.inner.GetAsync(s.sessionId, ct), cancellationToken);

    private async Task<AgentSession> HeartbeatOnceAsync(string sessionId, string? currentAction, TimeSpan? leaseDuration, CancellationToken cancellationToken)
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
}

/// <summary>
/// <see cref="ISessionReaper"/> as registered: the sweep under the retry policy (<see cref="ServiceBoundary{TService}"/>),
/// with its span, counters and its Information log (only when it reaped something).
/// </summary>
internal sealed class InstrumentedSessionReaper(SessionReaper inner, OrchestrationTelemetry telemetry, FaultPolicy policy, OrchestrationContext orchestration)
    : ServiceBoundary<ISessionReaper>(policy, orchestration), ISessionReaper
{
    public Task<SessionReapResult> ReapAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Run(nameof(ISessionReaper) + "." + nameof(ReapAsync), (self: this, timeout), static (s, ct) => s.self.ReapOnceAsync(s.timeout, ct), cancellationToken);

    private async Task<SessionReapResult> ReapOnceAsync(TimeSpan? timeout, CancellationToken cancellationToken)
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
