using System.Diagnostics;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Faults;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Storage;

namespace AgentOrchestration.Data.Diagnostics;

/// <summary>
/// <see cref="IFileLockService"/> as registered: each operation under the retry policy (<see cref="ServiceBoundary{TService}"/>),
/// with spans, metrics and logs of acquire, renew and release around the service that does the work.
/// </summary>
internal sealed class InstrumentedFileLockService(FileLockService inner, OrchestrationTelemetry telemetry, FaultPolicy policy, OrchestrationContext orchestration)
    : ServiceBoundary<IFileLockService>(policy, orchestration), IFileLockService
{
    private const string Prefix = nameof(IFileLockService) + ".";

    public Task<IReadOnlyList<FileLockInfo>> AcquireAsync(
        string sessionId, IReadOnlyCollection<string> paths, FileLockType lockType, TimeSpan ttl, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(AcquireAsync), (self: this, sessionId, paths, lockType, ttl), static (s, ct) => s.self.AcquireOnceAsync(s.sessionId, s.paths, s.lockType, s.ttl, ct), cancellationToken);

    public Task<IReadOnlyList<FileLockInfo>> RenewAsync(string sessionId, TimeSpan ttl, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(RenewAsync), (self: this, sessionId, ttl), static (s, ct) => s.self.RenewOnceAsync(s.sessionId, s.ttl, ct), cancellationToken);

    public Task<IReadOnlyList<FileLockInfo>> ReleaseAsync(string sessionId, IReadOnlyCollection<string> paths, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(ReleaseAsync), (self: this, sessionId, paths), static (s, ct) => s.self.ReleaseOnceAsync(s.sessionId, s.paths, all: false, ct), cancellationToken);

    public Task<IReadOnlyList<FileLockInfo>> ReleaseAllAsync(string sessionId, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(ReleaseAllAsync), (self: this, sessionId), static (s, ct) => s.self.ReleaseOnceAsync(s.sessionId, null, all: true, ct), cancellationToken);

    public Task<FileWriteCheck> CheckWriteAsync(string sessionId, IReadOnlyCollection<string> paths, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(CheckWriteAsync), (inner, sessionId, paths), static (s, ct) => s.inner.CheckWriteAsync(s.sessionId, s.paths, ct), cancellationToken);

    public Task<IReadOnlyList<FileLockInfo>> GetLocksAsync(Guid projectId, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(GetLocksAsync), (inner, projectId), static (s, ct) => s.inner.GetLocksAsync(s.projectId, ct), cancellationToken);

    private async Task<IReadOnlyList<FileLockInfo>> AcquireOnceAsync(
        string sessionId, IReadOnlyCollection<string> paths, FileLockType lockType, TimeSpan ttl, CancellationToken cancellationToken)
    {
        using var span = Span(SpanNames.LockAcquire, sessionId)?.SetTag(TagNames.PathCount, paths?.Count);
        try
        {
            var locks = await inner.AcquireAsync(sessionId, paths!, lockType, ttl, cancellationToken).ConfigureAwait(false);
            Succeeded(span, locks);
            telemetry.LockAcquisitions.Add(locks.Count);
            OrchestrationLog.LocksAcquired(telemetry.Locks, sessionId, locks.Count, lockType);
            return locks;
        }
        catch (FileLockConflictException conflict)
        {
            OrchestrationTelemetry.Fail(span, conflict);
            telemetry.LockConflicts.Add(1);
            var first = conflict.Conflicts[0];
            OrchestrationLog.LockConflict(telemetry.Locks, sessionId, conflict.Conflicts.Count, first.RequestedPath, first.HeldPath, first.HolderSessionId);
            throw;
        }
        catch (Exception exception)
        {
            Failed("Acquire", span, sessionId, exception);
            throw;
        }
    }

    private async Task<IReadOnlyList<FileLockInfo>> RenewOnceAsync(string sessionId, TimeSpan ttl, CancellationToken cancellationToken)
    {
        using var span = Span(SpanNames.LockRenew, sessionId);
        try
        {
            var locks = await inner.RenewAsync(sessionId, ttl, cancellationToken).ConfigureAwait(false);
            Succeeded(span, locks);
            OrchestrationLog.LocksRenewed(telemetry.Locks, sessionId, locks.Count);
            return locks;
        }
        catch (Exception exception)
        {
            Failed("Renew", span, sessionId, exception);
            throw;
        }
    }

    private async Task<IReadOnlyList<FileLockInfo>> ReleaseOnceAsync(string sessionId, IReadOnlyCollection<string>? paths, bool all, CancellationToken cancellationToken)
    {
        using var span = Span(SpanNames.LockRelease, sessionId)?.SetTag(TagNames.PathCount, all ? null : paths?.Count);
        try
        {
            var released = all
                ? await inner.ReleaseAllAsync(sessionId, cancellationToken).ConfigureAwait(false)
                : await inner.ReleaseAsync(sessionId, paths!, cancellationToken).ConfigureAwait(false);
            Succeeded(span, released);
            OrchestrationLog.LocksReleased(telemetry.Locks, sessionId, released.Count);
            return released;
        }
        catch (Exception exception)
        {
            Failed("Release", span, sessionId, exception);
            throw;
        }
    }

    private static Activity? Span(string name, string sessionId) => OrchestrationTelemetry.StartSpan(name)?.SetTag(TagNames.SessionId, sessionId);

    private static void Succeeded(Activity? span, IReadOnlyList<FileLockInfo> locks)
    {
        if (span is null)
        {
            return;
        }

        span.SetTag(TagNames.Outcome, Outcomes.Ok);
        if (locks.Count > 0)
        {
            span.SetTag(TagNames.ProjectId, locks[0].ProjectId).SetTag(TagNames.AgentId, locks[0].AgentId);
        }
    }

    private void Failed(string operation, Activity? span, string sessionId, Exception exception)
    {
        switch (OrchestrationTelemetry.Fail(span, exception))
        {
            case Outcomes.Error:
                OrchestrationLog.OperationFailed(telemetry.Locks, exception, "Lock " + operation);
                break;
            case Outcomes.Cancelled:
                break;
            default:
                OrchestrationLog.LockOperationRefused(telemetry.Locks, operation, sessionId, exception);
                break;
        }
    }
}
