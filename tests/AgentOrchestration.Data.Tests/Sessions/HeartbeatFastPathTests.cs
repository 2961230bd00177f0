using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Sessions;

/// <summary>
/// The one-round-trip heartbeat (PostgreSQL; SQLite has only the general path and must behave the same): it returns
/// the session as stored, and never writes for a session that is no longer live.
/// </summary>
public sealed class HeartbeatFastPathTests(DatabaseProvider provider) : SessionFixture(provider)
{
    [Test]
    public async Task A_heartbeat_is_one_round_trip_on_PostgreSQL_and_returns_the_session_as_stored()
    {
        var session = await StartAsync(Agent.Id);
        await AddItemAsync();
        var claimed = (await ClaimAsync(Agent.Id))!;
        await AddLocksAsync(session.SessionId, "src/**", "docs/a.md");
        Clock.Advance(TimeSpan.FromTicks(1_234_567));

        await using var scope = Services.CreateAsyncScope();
        var sessions = scope.ServiceProvider.GetRequiredService<ISessionService>();
        await sessions.GetAsync(session.SessionId); // opens the scope's connection
        using var trips = new NpgsqlTrips(Database);
        AgentSession beat = null!;
        var count = await trips.CountAsync(async () => beat = await sessions.HeartbeatAsync(session.SessionId, "coding", TimeSpan.FromMinutes(20)));

        var stored = (await sessions.GetAsync(session.SessionId))!;
        await using var db = CreateContext();
        var lease = await db.TaskAssignments.AsNoTracking().SingleAsync(a => a.Id == claimed.Lease.AssignmentId);
        var changed = await db.Events.AsNoTracking().Where(e => e.Type == OrchestrationEventTypes.SessionActionChanged).ToListAsync();
        Assert.Multiple(() =>
        {
            if (Provider == DatabaseProvider.PostgreSql)
            {
                Assert.That(count, Is.EqualTo(1), "heartbeat round trips");
            }

            Assert.That(beat.LastHeartbeatAt, Is.EqualTo(Clock.GetUtcNow()), "the time decided by, as the general path returns it");
            Assert.That(Describe(beat), Is.EqualTo(Describe(stored) with { LastHeartbeatAt = beat.LastHeartbeatAt }));
            Assert.That(stored.LastHeartbeatAt, Is.EqualTo(Truncated(Clock.GetUtcNow())));
            Assert.That(stored.CurrentAction, Is.EqualTo("coding"));
            Assert.That(lease.LeaseExpiresAt, Is.EqualTo(Truncated(Clock.GetUtcNow() + TimeSpan.FromMinutes(20))), "the owned lease renewed");
            Assert.That(changed.Single().Payload!.Data.Single().Value, Is.EqualTo("coding"));
            Assert.That(changed.Single().EntityId, Is.EqualTo(session.Id));
        });

        // The same action again is no news: no event.
        await sessions.HeartbeatAsync(session.SessionId, "coding");
        Assert.That(await db.Events.CountAsync(e => e.Type == OrchestrationEventTypes.SessionActionChanged), Is.EqualTo(1));
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task A_heartbeat_racing_the_end_of_its_session_never_writes_after_the_end(CancellationToken cancellationToken)
    {
        for (var round = 0; round < 30; round++)
        {
            var session = await StartAsync(Agent.Id);
            await using var beatScope = Services.CreateAsyncScope();
            await using var endScope = Services.CreateAsyncScope();
            var beating = beatScope.ServiceProvider.GetRequiredService<ISessionService>();
            var ending = endScope.ServiceProvider.GetRequiredService<ISessionService>();
            await beating.GetAsync(session.SessionId, cancellationToken);
            await ending.GetAsync(session.SessionId, cancellationToken);

            using var start = new Barrier(2);
            var beat = Task.Run(async () =>
            {
                start.SignalAndWait(cancellationToken);
                try
                {
                    await beating.HeartbeatAsync(session.SessionId, $"round {round}", cancellationToken: cancellationToken);
                    return true;
                }
                catch (InvalidStateTransitionException)
                {
                    return false;
                }
            }, cancellationToken);
            var end = Task.Run(async () =>
            {
                start.SignalAndWait(cancellationToken);
                await ending.EndAsync(session.SessionId, SessionStatus.Completed, cancellationToken: cancellationToken);
            }, cancellationToken);
            await Task.WhenAll(beat, end);

            await using var db = CreateContext();
            var stored = await db.AgentSessions.AsNoTracking().SingleAsync(s => s.SessionId == session.SessionId, cancellationToken);
            var events = await db.Events.AsNoTracking().Where(e => e.EntityId == session.Id).OrderBy(e => e.Sequence).Select(e => e.Type).ToListAsync(cancellationToken);
            Assert.Multiple(() =>
            {
                Assert.That(stored.Status, Is.EqualTo(SessionStatus.Completed));
                Assert.That(events.Last(), Is.EqualTo(OrchestrationEventTypes.SessionCompleted), $"round {round}: nothing after the end");
                Assert.That(stored.CurrentAction == $"round {round}", Is.EqualTo(beat.Result), $"round {round}: the action is recorded exactly when the heartbeat succeeded");
            });
        }
    }

    private static DateTimeOffset Truncated(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % 10), TimeSpan.Zero);

    private static SessionView Describe(AgentSession s) => new(
        s.Id, s.SessionId, s.ProjectId, s.AgentId, s.ParentStoryId, s.BacklogId, s.TaskId, s.AgentType, s.Status, s.CurrentAction,
        string.Join(", ", (s.FileLocks ?? []).Select(l => $"{l.Path}:{l.LockType}:{l.ExpiresAt:O}")), s.FileLocks is null, s.StartTime, s.EndTime, s.LastHeartbeatAt, s.RiskLevel, s.OversightLevel);

    private sealed record SessionView(
        Guid Id, string SessionId, Guid ProjectId, Guid? AgentId, Guid? ParentStoryId, Guid? BacklogId, Guid? TaskId, SessionAgentType AgentType, SessionStatus Status,
        string? CurrentAction, string Locks, bool NoLocks, DateTimeOffset StartTime, DateTimeOffset? EndTime, DateTimeOffset? LastHeartbeatAt, int RiskLevel, OversightLevel OversightLevel);
}
