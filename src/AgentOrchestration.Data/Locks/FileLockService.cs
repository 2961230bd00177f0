using System.Globalization;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Storage;
using AgentOrchestration.Data.Validation;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Locks;

/// <summary>
/// The file lock service. Every change runs in a write under <see cref="LockScope.FileLocks"/>
/// (<c>locks:{projectId}</c>), so conflicts are checked and locks written with no other lock writer of the project in between.
/// Reads use no tracking and changes are written with set-based statements plus tracked inserts, so values tracked
/// earlier in a long-lived context never stand in for what the database holds.
/// </summary>
internal sealed class FileLockService(OrchestrationContext orchestration, WriteTransactions writes, OrchestrationClock time) : IFileLockService
{
    public const string EntityType = "file_lock";

    private DbContext Db => orchestration.Context;

    public async Task<IReadOnlyList<FileLockInfo>> AcquireAsync(
        string sessionId, IReadOnlyCollection<string> paths, FileLockType lockType, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        var requested = LockValidation.Acquire(sessionId, paths, lockType, ttl);
        RefuseAmbientTransaction();

        // Acquiring again what the session holds refreshes it: running this again after an unknown commit is harmless.
        Faults.FaultAttempt.MarkIdempotent();
        if (await TryFastAcquireAsync(sessionId, requested, lockType, ttl, cancellationToken).ConfigureAwait(false) is { } fast)
        {
            return fast;
        }

        const string operation = "acquire file locks";
        var session = await FindSessionAsync(sessionId, requireActive: true, operation, cancellationToken).ConfigureAwait(false);

        return await InSerializedAsync("file_lock.acquire", session.ProjectId, async work =>
        {
            var now = work.Now;
            await GuardSessionAsync(session, requireActive: true, operation, cancellationToken).ConfigureAwait(false);
            var (all, others) = await ReadLocksAsync(session, now, withOthers: true, cancellationToken).ConfigureAwait(false);

            if (Refusal(sessionId, requested, lockType, others) is { } refusal)
            {
                throw refusal;
            }

            var own = await PurgeExpiredAsync(work, session, all, cancellationToken).ConfigureAwait(false);
            var expiresAt = now + ttl;
            var byPath = own.GroupBy(l => l.FilePath, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            var granted = new List<FileLock>(requested.Count);
            foreach (var path in requested)
            {
                if (byPath.TryGetValue(path, out var held))
                {
                    // A refresh: the new expiry, and the stronger mode (an exclusive lock is never silently weakened).
                    var type = held.LockType == FileLockType.Exclusive ? FileLockType.Exclusive : lockType;
                    await Db.Set<FileLock>().Where(l => l.Id == held.Id)
                        .ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAt, expiresAt).SetProperty(l => l.LockType, type), cancellationToken)
                        .ConfigureAwait(false);
                    var previous = held.LockType;
                    held.ExpiresAt = expiresAt;
                    held.LockType = type;
                    granted.Add(held);
                    work.Event(OrchestrationEventTypes.FileLockAcquired, session, held, Stored(type), ("path", held.FilePath), ("expires_at", Format(expiresAt)), ("refreshed_from", Stored(previous)));
                }
                else
                {
                    var row = new FileLock
                    {
                        ProjectId = session.ProjectId,
                        FilePath = path,
                        LockedBySession = session.SessionId,
                        LockType = lockType,
                        AcquiredAt = now,
                        ExpiresAt = expiresAt,
                    };
                    work.Add(row);
                    own.Add(row);
                    granted.Add(row);
                    work.Event(OrchestrationEventTypes.FileLockAcquired, session, row, Stored(lockType), ("path", path), ("expires_at", Format(expiresAt)));
                }
            }

            await work.SetSessionLocksAsync(session, own, cancellationToken).ConfigureAwait(false);
            return Infos(granted, session);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<FileLockInfo>> RenewAsync(string sessionId, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        LockValidation.Renew(sessionId, ttl);
        RefuseAmbientTransaction();
        Faults.FaultAttempt.MarkIdempotent();
        if (await TryFastRenewAsync(sessionId, ttl, cancellationToken).ConfigureAwait(false) is { } fast)
        {
            return fast;
        }

        const string operation = "renew file locks";
        var session = await FindSessionAsync(sessionId, requireActive: true, operation, cancellationToken).ConfigureAwait(false);

        return await InSerializedAsync("file_lock.renew", session.ProjectId, async work =>
        {
            await GuardSessionAsync(session, requireActive: true, operation, cancellationToken).ConfigureAwait(false);
            var (all, _) = await ReadLocksAsync(session, work.Now, withOthers: false, cancellationToken).ConfigureAwait(false);
            var own = await PurgeExpiredAsync(work, session, all, cancellationToken).ConfigureAwait(false);
            if (own.Count == 0)
            {
                await work.SetSessionLocksAsync(session, own, cancellationToken).ConfigureAwait(false);
                return [];
            }

            var expiresAt = work.Now + ttl;
            var ids = own.Select(l => l.Id).ToList();
            await Db.Set<FileLock>().Where(l => ids.Contains(l.Id))
                .ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAt, expiresAt), cancellationToken).ConfigureAwait(false);
            foreach (var row in own)
            {
                var previous = row.ExpiresAt;
                row.ExpiresAt = expiresAt;
                work.Event(OrchestrationEventTypes.FileLockRenewed, session, row, Stored(row.LockType), ("path", row.FilePath), ("expires_at", Format(expiresAt)), ("previous_expires_at", previous is { } p ? Format(p) : null));
            }

            await work.SetSessionLocksAsync(session, own, cancellationToken).ConfigureAwait(false);
            return Infos(own, session);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<FileLockInfo>> ReleaseAsync(string sessionId, IReadOnlyCollection<string> paths, CancellationToken cancellationToken = default)
    {
        var requested = LockValidation.SessionPaths(sessionId, paths).ToHashSet(StringComparer.Ordinal);
        if (await TryFastReleaseAsync("file_lock.release", new FileLockRelease(sessionId, [.. requested], time.DecidingClock(Db)), cancellationToken).ConfigureAwait(false) is { } fast)
        {
            return fast;
        }

        var session = await FindSessionAsync(sessionId, requireActive: false, "release file locks", cancellationToken).ConfigureAwait(false);

        return await InSerializedAsync("file_lock.release", session.ProjectId, async work =>
        {
            await GuardSessionAsync(session, requireActive: false, "release file locks", cancellationToken).ConfigureAwait(false);
            var (all, _) = await ReadLocksAsync(session, work.Now, withOthers: false, cancellationToken).ConfigureAwait(false);
            var own = await PurgeExpiredAsync(work, session, all, cancellationToken).ConfigureAwait(false);
            var released = own.Where(l => requested.Contains(l.FilePath)).ToList();
            await ReleaseRowsAsync(work, session, released, cancellationToken).ConfigureAwait(false);
            await work.SetSessionLocksAsync(session, own.Except(released), cancellationToken).ConfigureAwait(false);
            return Infos(released, session);
        }, cancellationToken, joinAmbient: true).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<FileLockInfo>> ReleaseAllAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        SessionValidation.Key(sessionId);
        if (await TryFastReleaseAsync("file_lock.release_all", new FileLockRelease(sessionId, [], time.DecidingClock(Db), All: true), cancellationToken).ConfigureAwait(false) is { } fast)
        {
            return fast;
        }

        var session = await FindSessionAsync(sessionId, requireActive: false, "release file locks", cancellationToken).ConfigureAwait(false);

        return await InSerializedAsync("file_lock.release_all", session.ProjectId, async work =>
        {
            await GuardSessionAsync(session, requireActive: false, "release file locks", cancellationToken).ConfigureAwait(false);
            var (all, _) = await ReadLocksAsync(session, work.Now, withOthers: false, cancellationToken).ConfigureAwait(false);
            var own = await PurgeExpiredAsync(work, session, all, cancellationToken).ConfigureAwait(false);
            await ReleaseRowsAsync(work, session, own, cancellationToken).ConfigureAwait(false);
            await work.SetSessionLocksAsync(session, [], cancellationToken).ConfigureAwait(false);
            return Infos(own, session);
        }, cancellationToken, joinAmbient: true).ConfigureAwait(false);
    }

    public async Task<FileWriteCheck> CheckWriteAsync(string sessionId, IReadOnlyCollection<string> paths, CancellationToken cancellationToken = default)
    {
        var requested = LockValidation.SessionPaths(sessionId, paths);
        var session = await FindSessionAsync(sessionId, requireActive: true, "write files", cancellationToken).ConfigureAwait(false);
        var now = await NowAsync(underLock: false, cancellationToken).ConfigureAwait(false);
        var (own, others) = await ReadLocksAsync(session, now, withOthers: true, cancellationToken).ConfigureAwait(false);
        var ownExclusive = own.Where(l => l.LockType == FileLockType.Exclusive && IsLive(l, now)).Select(l => l.FilePath).ToList();

        var entries = requested.Select(path => new FileWriteCheckEntry(
            path,
            ownExclusive.Any(held => LockPatterns.Covers(held, path)),
            [.. others.Where(held => LockPatterns.Overlaps(path, held.Path)).Select(held => new FileLockConflict(path, FileLockType.Exclusive, held))]));
        return new FileWriteCheck(sessionId, [.. entries]);
    }

    public async Task<IReadOnlyList<FileLockInfo>> GetLocksAsync(Guid projectId, CancellationToken cancellationToken = default)
    {
        if (!await Db.Set<Project>().AnyAsync(p => p.Id == projectId, cancellationToken).ConfigureAwait(false))
        {
            throw new EntityNotFoundException("project", projectId);
        }

        var now = await NowAsync(underLock: false, cancellationToken).ConfigureAwait(false);
        var rows = await Db.Set<FileLock>().AsNoTracking()
            .Where(l => l.ProjectId == projectId && (l.ExpiresAt == null || l.ExpiresAt > now))
            .Select(l => new { Lock = l, l.Session!.AgentId })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return
        [
            .. rows.Select(r => new FileLockInfo(r.Lock, r.AgentId))
                .OrderBy(l => l.Path, StringComparer.Ordinal)
                .ThenBy(l => l.SessionId, StringComparer.Ordinal)
                .ThenBy(l => l.Id),
        ];
    }

    /// <summary>
    /// The provider's one-round-trip acquisition of the common case (see <see cref="IOrchestrationProvider.TryAcquireFileLocksAsync"/>):
    /// the same locks, rows, events and session list the general path writes; <see langword="null"/> when it wrote
    /// nothing, and the general path decides exactly.
    /// </summary>
    private async Task<IReadOnlyList<FileLockInfo>?> TryFastAcquireAsync(
        string sessionId, List<string> requested, FileLockType lockType, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var provider = OrchestrationProviders.For(Db);
        if (!provider.HasOneStatementLeases)
        {
            return null;
        }

        var ids = requested.Select(_ => UuidV7.NewGuid()).ToList();
        var grant = await writes.RunStatementAsync(
            "file_lock.acquire",
            ct => provider.TryAcquireFileLocksAsync(Db, new FileLockAcquisition(sessionId, requested, ids, lockType, ttl, time.DecidingClock(Db)), ct),
            granted => granted is null ? 0 : requested.Count,
            cancellationToken).ConfigureAwait(false);
        if (grant is null)
        {
            return null;
        }

        return
        [
            .. requested.Select((path, i) => new FileLockInfo(
                new FileLock
                {
                    Id = ids[i],
                    ProjectId = grant.ProjectId,
                    FilePath = path,
                    LockedBySession = sessionId,
                    LockType = lockType,
                    AcquiredAt = grant.Now,
                    ExpiresAt = grant.Now + ttl,
                },
                grant.AgentId)),
        ];
    }

    /// <summary>
    /// The provider's one-round-trip release of some paths or of all the session's locks, as <see cref="TryFastAcquireAsync"/>;
    /// only outside a caller's transaction (a release there joins it, on the general path).
    /// </summary>
    private async Task<IReadOnlyList<FileLockInfo>?> TryFastReleaseAsync(string operation, FileLockRelease request, CancellationToken cancellationToken)
    {
        var provider = OrchestrationProviders.For(Db);
        if (Db.Database.CurrentTransaction is not null || !provider.HasOneStatementLeases)
        {
            return null;
        }

        var result = await writes.RunStatementAsync(
            operation,
            ct => provider.TryReleaseFileLocksAsync(Db, request, ct),
            released => released?.Released.Count ?? 0,
            cancellationToken).ConfigureAwait(false);
        return result is null ? null : [.. result.Released.Select(r => new FileLockInfo(r, result.AgentId))];
    }

    /// <summary>The provider's one-round-trip renewal, as <see cref="TryFastAcquireAsync"/> (the caller has refused an ambient transaction).</summary>
    private async Task<IReadOnlyList<FileLockInfo>?> TryFastRenewAsync(string sessionId, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var provider = OrchestrationProviders.For(Db);
        if (!provider.HasOneStatementLeases)
        {
            return null;
        }

        var result = await writes.RunStatementAsync(
            "file_lock.renew",
            ct => provider.TryRenewFileLocksAsync(Db, new FileLockRenewal(sessionId, ttl, time.DecidingClock(Db)), ct),
            renewed => renewed?.Renewed.Count ?? 0,
            cancellationToken).ConfigureAwait(false);
        return result is null ? null : [.. result.Renewed.Select(r => new FileLockInfo(r, result.AgentId))];
    }

    /// <summary>
    /// The refusal of an acquisition, as the general path words it (the providers' fast paths refuse with it too): every
    /// requested path, as asked, against each live lock of another session in <paramref name="others"/>, by held path and
    /// then holder session, that blocks it (either side exclusive, and the patterns overlap); <see langword="null"/> when
    /// none does. <paramref name="others"/> may hold more locks than conflict (a provider's conservative candidates).
    /// </summary>
    internal static FileLockConflictException? Refusal(string sessionId, IEnumerable<string> requested, FileLockType lockType, IEnumerable<FileLockInfo> others)
    {
        var held = others.OrderBy(l => l.Path, StringComparer.Ordinal).ThenBy(l => l.SessionId, StringComparer.Ordinal).ToList();
        var conflicts = new List<FileLockConflict>();
        foreach (var path in requested)
        {
            foreach (var other in held)
            {
                var blocks = lockType == FileLockType.Exclusive || other.LockType == FileLockType.Exclusive;
                if (blocks && LockPatterns.Overlaps(path, other.Path))
                {
                    conflicts.Add(new FileLockConflict(path, lockType, other));
                }
            }
        }

        return conflicts.Count == 0 ? null : new FileLockConflictException(sessionId, conflicts);
    }

    private static string Stored(FileLockType type) => StoredEnum.ToStore(type);

    private static string Format(DateTimeOffset at) => at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static List<FileLockInfo> Infos(IEnumerable<FileLock> rows, SessionRow session) =>
        [.. rows.Select(r => new FileLockInfo(r, session.AgentId))];

    /// <summary>
    /// Now, by the clock that decides TTLs (on PostgreSQL the server's: as of the serializing lock <paramref name="underLock"/>,
    /// else read afresh), truncated to the microseconds both providers store, so what is returned equals what is read back.
    /// </summary>
    private async Task<DateTimeOffset> NowAsync(bool underLock, CancellationToken cancellationToken) =>
        UtcTimestampConverter.FromStore(UtcTimestampConverter.ToStore(underLock
            ? await time.DecideAsync(Db, cancellationToken).ConfigureAwait(false)
            : await time.DecideWithoutLockAsync(Db, cancellationToken).ConfigureAwait(false)));

    private void RefuseAmbientTransaction()
    {
        if (Db.Database.CurrentTransaction is not null)
        {
            throw new InvalidOperationException(
                "Acquiring or renewing file locks needs its own serialized transaction, but the context already has one open. Call it outside the transaction (releases may run inside one).");
        }
    }

    private static bool IsLive(FileLock row, DateTimeOffset now) => row.ExpiresAt is not { } at || at > now;

    /// <summary>Reads the session (before any transaction), refusing an unknown one, and an inactive one if <paramref name="requireActive"/>.</summary>
    private async Task<SessionRow> FindSessionAsync(string sessionId, bool requireActive, string operation, CancellationToken cancellationToken)
    {
        var session = await Db.Set<AgentSession>().AsNoTracking()
            .Where(s => s.SessionId == sessionId)
            .Select(s => new SessionRow(s.SessionId, s.ProjectId, s.AgentId, s.Status))
            .SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new EntityNotFoundException("session", sessionId);
        if (requireActive && session.Status != SessionStatus.Active)
        {
            throw new SessionNotActiveException(sessionId, session.Status, operation);
        }

        return session;
    }

    /// <summary>
    /// Inside the transaction, takes the session's row lock with a no-op update that also re-checks the status, so a
    /// concurrent change of the session (such as the reaper failing it and releasing its locks) commits wholly before or
    /// wholly after this call.
    /// </summary>
    private async Task GuardSessionAsync(SessionRow session, bool requireActive, string operation, CancellationToken cancellationToken)
    {
        var sessions = Db.Set<AgentSession>().Where(s => s.SessionId == session.SessionId);
        var updated = requireActive
            ? await sessions.Where(s => s.Status == SessionStatus.Active)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, SessionStatus.Active), cancellationToken).ConfigureAwait(false)
            : await sessions.ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, x => x.Status), cancellationToken).ConfigureAwait(false);
        if (updated == 0)
        {
            // Gone or no longer active since it was first read: report what it is now.
            await FindSessionAsync(session.SessionId, requireActive, operation, cancellationToken).ConfigureAwait(false);
            throw new EntityNotFoundException("session", session.SessionId);
        }
    }

    /// <summary>One read: every lock of the session in its project (expired too), and the live locks of the project's other sessions.</summary>
    private async Task<(List<FileLock> Own, List<FileLockInfo> Others)> ReadLocksAsync(
        SessionRow session, DateTimeOffset now, bool withOthers, CancellationToken cancellationToken)
    {
        var sessionId = session.SessionId;
        var rows = await Db.Set<FileLock>().AsNoTracking()
            .Where(l => l.ProjectId == session.ProjectId
                && (l.LockedBySession == sessionId || (withOthers && (l.ExpiresAt == null || l.ExpiresAt > now))))
            .Select(l => new { Lock = l, l.Session!.AgentId })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var own = rows.Where(r => r.Lock.LockedBySession == sessionId).Select(r => r.Lock).OrderBy(l => l.FilePath, StringComparer.Ordinal).ToList();
        var others = rows.Where(r => r.Lock.LockedBySession != sessionId)
            .Select(r => new FileLockInfo(r.Lock, r.AgentId))
            .OrderBy(l => l.Path, StringComparer.Ordinal).ThenBy(l => l.SessionId, StringComparer.Ordinal)
            .ToList();
        return (own, others);
    }

    /// <summary>Deletes the session's expired locks among <paramref name="own"/> (with a <c>file_lock.expired</c> event each) and returns its live ones.</summary>
    private async Task<List<FileLock>> PurgeExpiredAsync(LockWork work, SessionRow session, List<FileLock> own, CancellationToken cancellationToken)
    {
        var expired = own.Where(l => !IsLive(l, work.Now)).ToList();
        if (expired.Count > 0)
        {
            var ids = expired.Select(l => l.Id).ToList();
            await Db.Set<FileLock>().Where(l => ids.Contains(l.Id)).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
            foreach (var row in expired)
            {
                work.Event(OrchestrationEventTypes.FileLockExpired, session, row, null, ("path", row.FilePath), ("expired_at", Format(row.ExpiresAt!.Value)));
            }
        }

        return [.. own.Except(expired)];
    }

    private async Task ReleaseRowsAsync(LockWork work, SessionRow session, List<FileLock> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return;
        }

        var ids = rows.Select(l => l.Id).ToList();
        await Db.Set<FileLock>().Where(l => ids.Contains(l.Id)).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
        foreach (var row in rows)
        {
            work.Event(OrchestrationEventTypes.FileLockReleased, session, row, null, ("path", row.FilePath), ("lock_type", Stored(row.LockType)));
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> in a write under <see cref="LockScope.FileLocks"/>. Releases may instead join a
    /// transaction the caller already opened on the context (<paramref name="joinAmbient"/>), so that ending a session
    /// and releasing its locks commit together; acquiring and renewing always need their own, to check conflicts serialized.
    /// </summary>
    /// <remarks>
    /// A joined release takes no lock of its own: the caller (such as ending a session) already holds the session's, and
    /// taking the project's lock scope after it would invert the order acquiring takes them in (see <see cref="LockLevel"/>).
    /// Its savepoint makes a release that fails half-way leave the caller's transaction as it was.
    /// </remarks>
    private async Task<T> InSerializedAsync<T>(string operation, Guid projectId, Func<LockWork, Task<T>> body, CancellationToken cancellationToken, bool joinAmbient = false)
    {
        if (!joinAmbient)
        {
            RefuseAmbientTransaction();
        }

        LockWork? work = null;
        try
        {
            return await writes.RunOrJoinAsync(operation, LockScope.FileLocks(projectId), async ct =>
            {
                work = new LockWork(Db, await NowAsync(underLock: true, ct).ConfigureAwait(false));
                return await body(work).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Committed, the rows are stale soon; after a failure (rolled back) they must not be saved later. Inside the
            // caller's unit of work only what this call added is let go: the rest is the caller's.
            work?.Forget();
        }
    }

    /// <summary>The session, as read in the transaction.</summary>
    private sealed record SessionRow(string SessionId, Guid ProjectId, Guid? AgentId, SessionStatus Status);

    /// <summary>What one serialized call adds to the context: its clock reading, inserted rows and events.</summary>
    private sealed class LockWork(DbContext db, DateTimeOffset now)
    {
        private readonly List<object> added = [];

        public DateTimeOffset Now { get; } = now;

        public void Add(FileLock row)
        {
            db.Add(row);
            added.Add(row);
        }

        public void Event(string type, SessionRow session, FileLock row, string? to, params (string Key, string? Value)[] data)
        {
            var payload = new EventPayload
            {
                SessionId = session.SessionId,
                AgentId = session.AgentId,
                To = to,
                Data = [.. data.Where(d => d.Value is not null).Select(d => new MetadataEntry { Key = d.Key, Value = d.Value })],
            };
            added.Add(Events.Append(db, Now, type, session.ProjectId, EntityType, row.Id, session.SessionId, payload));
        }

        /// <summary>Writes <c>agent_sessions.file_locks</c>: the session's rows after this call, by path, each with its expiry.</summary>
        public async Task SetSessionLocksAsync(SessionRow session, IEnumerable<FileLock> rows, CancellationToken cancellationToken)
        {
            List<SessionFileLock> locks =
            [
                .. rows.OrderBy(l => l.FilePath, StringComparer.Ordinal)
                    .Select(l => new SessionFileLock { Path = l.FilePath, LockType = l.LockType, ExpiresAt = l.ExpiresAt }),
            ];
            await db.Set<AgentSession>().Where(s => s.SessionId == session.SessionId)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.FileLocks, locks), cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Stops tracking what this call added: after commit they are stale soon, after a failure they must not be saved later.</summary>
        public void Forget()
        {
            foreach (var entity in added)
            {
                db.Entry(entity).State = EntityState.Detached;
            }

            added.Clear();
        }
    }
}
