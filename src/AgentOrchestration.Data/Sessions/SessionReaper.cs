using System.Globalization;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Storage;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Sessions;

/// <summary>The default <see cref="ISessionReaper"/>: lists silent sessions, then reaps each in its own transaction serialized on the session.</summary>
internal sealed class SessionReaper(OrchestrationContext orchestration, WriteTransactions writes, OrchestrationClock clock, IFileLockService fileLocks, SessionReaperOptions options) : ISessionReaper
{
    public const string Actor = "reaper";

    private readonly DbContext db = orchestration.Context;

    public async Task<SessionReapResult> ReapAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var silence = timeout ?? options.Timeout;
        if (silence <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), silence, "The reaper timeout must be more than zero.");
        }

        var includePaused = options.IncludePaused;
        Tracking.Reset(db);

        // The list is judged by the deciding clock too (one read of the server's time on PostgreSQL); each session is
        // judged again under its lock, by the time that lock was granted.
        var listedAt = await clock.DecideWithoutLockAsync(db, cancellationToken).ConfigureAwait(false);
        var candidates = await Silent(listedAt - silence, includePaused).Select(s => s.SessionId).ToArrayAsync(cancellationToken).ConfigureAwait(false);

        // Reapers running at once would otherwise queue on the same first session and then on every next one; in a
        // random order they mostly work on different sessions, and the re-check under the lock settles any overlap.
        Random.Shared.Shuffle(candidates);

        var reaped = new List<string>();
        var locksReleased = 0;
        var returned = new List<Guid>();
        foreach (var sessionId in candidates)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var outcome = await writes.RunAsync("session.reap", LockScope.Session(sessionId), async ct =>
            {
                // Re-checked under the session's lock: another reaper may have reaped it, or it heartbeated or ended.
                var session = await SessionWork.FindLockedAsync(db, sessionId, ct).ConfigureAwait(false);
                var now = await clock.DecideAsync(db, ct).ConfigureAwait(false);
                if (session is null || !IsSilent(session, now - silence, includePaused))
                {
                    return null;
                }

                var lastSign = session.LastHeartbeatAt ?? session.StartTime;
                var reason = string.Create(CultureInfo.InvariantCulture, $"no heartbeat since {lastSign:O} (timeout {silence})");
                var items = await SessionWork.RequeueAsync(db, session, now, lastSign, Actor, "reaped", ct).ConfigureAwait(false);
                var locks = await SessionWork.ReleaseLocksAsync(fileLocks, session, ct).ConfigureAwait(false);
                var from = session.Status;
                session.Status = SessionStatus.Failed;
                session.EndTime = now;
                Events.Append(db, now, "session.reaped", session.ProjectId, SessionWork.SessionEntity, session.Id, Actor, new EventPayload
                {
                    From = StoredEnum.ToStore(from),
                    To = StoredEnum.ToStore(SessionStatus.Failed),
                    AgentId = session.AgentId,
                    SessionId = sessionId,
                    Reason = reason,
                    Data =
                    [
                        new MetadataEntry { Key = "locks_released", Value = locks.ToString(CultureInfo.InvariantCulture) },
                        new MetadataEntry { Key = "work_items_returned", Value = items.Count.ToString(CultureInfo.InvariantCulture) },
                    ],
                });
                return new Reaped(items, locks);
            }, cancellationToken).ConfigureAwait(false);
            if (outcome is not null)
            {
                reaped.Add(sessionId);
                locksReleased += outcome.Locks;
                returned.AddRange(outcome.Items);
            }
        }

        return new SessionReapResult(reaped, locksReleased, returned);
    }

    private sealed record Reaped(List<Guid> Items, int Locks);

    private static bool IsSilent(AgentSession session, DateTimeOffset cutoff, bool includePaused) =>
        (session.Status == SessionStatus.Active || (includePaused && session.Status == SessionStatus.Paused))
        && (session.LastHeartbeatAt ?? session.StartTime) < cutoff;

    private IQueryable<AgentSession> Silent(DateTimeOffset cutoff, bool includePaused) =>
        db.Set<AgentSession>().AsNoTracking()
            .Where(s => s.Status == SessionStatus.Active || (includePaused && s.Status == SessionStatus.Paused))
            .Where(s => s.LastHeartbeatAt < cutoff || (s.LastHeartbeatAt == null && s.StartTime < cutoff));
}
