using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Tests.Locks;

/// <summary>A migrated database per test, the library registered through DI on it, and a fake clock driving TTLs.</summary>
public abstract class LockFixture(DatabaseProvider provider) : OrchestrationFixture(provider)
{
    protected static readonly TimeSpan Ttl = TimeSpan.FromMinutes(10);

    /// <summary>Runs <paramref name="action"/> with a lock service in its own DI scope (its own context and connection).</summary>
    protected Task<T> LocksAsync<T>(Func<IFileLockService, Task<T>> action) => UseAsync(action);

    protected Task<IReadOnlyList<FileLockInfo>> AcquireAsync(AgentSession session, FileLockType type, params string[] paths) =>
        LocksAsync(locks => locks.AcquireAsync(session.SessionId, paths, type, Ttl));

    protected Task<Project> ProjectAsync() => CreateProjectAsync();

    /// <summary>Starts a session (of a newly registered agent, or of none) and takes it to <paramref name="status"/> through the session service.</summary>
    protected async Task<AgentSession> SessionAsync(Project project, SessionStatus status = SessionStatus.Active, bool withAgent = true)
    {
        var agent = withAgent ? await RegisterAgentAsync() : null;
        var session = await StartSessionAsync(project, agent?.Id);
        return status switch
        {
            SessionStatus.Active => session,
            SessionStatus.Paused => await UseAsync<ISessionService, AgentSession>(s => s.PauseAsync(session.SessionId)),
            _ => await UseAsync<ISessionService, AgentSession>(s => s.EndAsync(session.SessionId, status)),
        };
    }

    protected async Task SetStatusAsync(AgentSession session, SessionStatus status)
    {
        await using var context = CreateContext();
        await context.AgentSessions.Where(s => s.SessionId == session.SessionId).ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, status));
    }

    protected async Task<List<FileLock>> RowsAsync(AgentSession? session = null)
    {
        await using var context = CreateContext();
        var query = context.FileLocks.AsNoTracking();
        if (session is not null)
        {
            query = query.Where(l => l.LockedBySession == session.SessionId);
        }

        return [.. (await query.ToListAsync()).OrderBy(l => l.FilePath, StringComparer.Ordinal)];
    }

    protected async Task<List<OrchestrationEvent>> EventsAsync(string? type = null)
    {
        await using var context = CreateContext();
        var query = context.Events.AsNoTracking();
        if (type is not null)
        {
            query = query.Where(e => e.Type == type);
        }

        return await query.OrderBy(e => e.Sequence).ToListAsync();
    }

    /// <summary>A snapshot of everything the lock service writes, to prove a refused call wrote nothing.</summary>
    protected async Task<string> SnapshotAsync()
    {
        await using var context = CreateContext();
        var rows = await context.FileLocks.AsNoTracking().ToListAsync();
        var sessions = await context.AgentSessions.AsNoTracking().ToListAsync();
        var events = await context.Events.CountAsync();
        return string.Join('\n', rows.OrderBy(r => r.Id).Select(r => $"{r.Id} {r.FilePath} {r.LockType} {r.LockedBySession} {r.ExpiresAt:O}"))
            + "\n" + string.Join('\n', sessions.OrderBy(s => s.SessionId).Select(s => $"{s.SessionId} {s.Status} {Describe(s.FileLocks)}"))
            + $"\nevents {events}";
    }

    /// <summary>Asserts <c>agent_sessions.file_locks</c> lists exactly the session's rows in <c>file_locks</c>.</summary>
    protected async Task AssertJsonInStepAsync(AgentSession session)
    {
        await using var context = CreateContext();
        var stored = await context.AgentSessions.AsNoTracking().SingleAsync(s => s.SessionId == session.SessionId);
        var rows = await RowsAsync(session);
        Assert.That(Describe(stored.FileLocks), Is.EqualTo(Describe(rows.Select(r => new SessionFileLock { Path = r.FilePath, LockType = r.LockType, ExpiresAt = r.ExpiresAt }).ToList())),
            $"agent_sessions.file_locks of {session.SessionId} is in step with file_locks");
    }

    protected static string Describe(List<SessionFileLock>? locks) =>
        string.Join(", ", (locks ?? []).OrderBy(l => l.Path, StringComparer.Ordinal).Select(l => $"{l.Path}:{l.LockType}:{l.ExpiresAt:O}"));
}
