using System.Diagnostics;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;

namespace AgentOrchestration.Data.Diagnostics;

/// <summary><see cref="IFileLockService"/> as registered: spans, metrics and logs of acquire, renew and release around the service that does the work.</summary>
internal sealed class InstrumentedFileLockService(FileLockService inner, OrchestrationTelemetry telemetry) : IFileLockService
{
    public async Task<IReadOnlyList<FileLockInfo>> AcquireAsync(
        string sessionId, IReadOnlyCollection<string> paths, FileLockType lockType, TimeSpan ttl, CancellationToken cancellationToken = default)
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

    public async Task<IReadOnlyList<FileLockInfo>> RenewAsync(string sessionId, TimeSpan ttl, CancellationToken cancellationToken = default)
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

    public Task<IReadOnlyList<FileLockInfo>> ReleaseAsync(string sessionId, IReadOnlyCollection<string> paths, CancellationToken cancellationToken = default) =>
        ReleaseCoreAsync(sessionId, paths?.Count, () => inner.ReleaseAsync(sessionId, paths!, cancellationToken));

    public Task<IReadOnlyList<FileLockInfo>> ReleaseAllAsync(string sessionId, CancellationToken cancellationToken = default) =>
        ReleaseCoreAsync(sessionId, null, () => inner.ReleaseAllAsync(sessionId, cancellationToken));

    public Task<FileWriteCheck> CheckWriteAsync(string sessionId, IReadOnlyCollection<string> paths, CancellationToken cancellationToken = default) =>
        inner.CheckWriteAsync(sessionId, paths, cancellationToken);

    public Task<IReadOnlyList<FileLockInfo>> GetLocksAsync(Guid projectId, CancellationToken cancellationToken = default) =>
        inner.GetLocksAsync(projectId, cancellationToken);

    private async Task<IReadOnlyList<FileLockInfo>> ReleaseCoreAsync(string sessionId, int? pathCount, Func<Task<IReadOnlyList<FileLockInfo>>> release)
    {
        using var span = Span(SpanNames.LockRelease, sessionId)?.SetTag(TagNames.PathCount, pathCount);
        try
        {
            var released = await release().ConfigureAwait(false);
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
