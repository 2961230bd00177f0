using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Storage;

/// <summary>
/// Where the library's times come from. Expiries (leases, lock TTLs, heartbeat silence, the reaper) are decided and
/// stored by one clock: the clock set with <see cref="AgentOrchestrationBuilder.UseClock"/> if any, else the database
/// server's on PostgreSQL (shared by many machines, whose clocks differ) and this machine's on SQLite (one machine).
/// Timestamps that decide nothing (creation times, the reaper's timer) come from <see cref="Local"/>.
/// </summary>
/// <param name="registered">The host's registered <see cref="TimeProvider"/>: this machine's clock.</param>
/// <param name="explicitClock">The clock set with <see cref="AgentOrchestrationBuilder.UseClock"/>, if any.</param>
internal sealed class OrchestrationClock(TimeProvider registered, TimeProvider? explicitClock)
{
    /// <summary>Gets the clock of this machine (or the explicit one): for timestamps that decide nothing and for timers.</summary>
    public TimeProvider Local { get; } = explicitClock ?? registered;

    /// <summary>Now, by <see cref="Local"/>.</summary>
    public DateTimeOffset GetUtcNow() => Local.GetUtcNow();

    /// <summary>
    /// The clock a decision reads in-process, or <see langword="null"/> when the database server's clock decides (PostgreSQL
    /// without an explicit clock): the caller then reads the server's time inside the statement or transaction that decides.
    /// </summary>
    public TimeProvider? DecidingClock(DbContext context) =>
        explicitClock ?? (OrchestrationProviders.For(context).HasServerClock ? null : Local);

    /// <summary>
    /// Now, by the clock that decides expiries, for a decision made in the context's current transaction after its lock
    /// was taken (on PostgreSQL the time the lock was granted, read by the locking statement; otherwise one more read).
    /// </summary>
    public async ValueTask<DateTimeOffset> DecideAsync(DbContext context, CancellationToken cancellationToken) =>
        DecidingClock(context) is { } clock
            ? clock.GetUtcNow()
            : await OrchestrationProviders.For(context).ServerNowAsync(context, afterLock: true, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Now, by the clock that decides expiries, for a decision that takes no lock (a read such as a write check): on
    /// PostgreSQL always a fresh reading of the server's time, never that of a lock taken earlier in a long transaction.
    /// </summary>
    public async ValueTask<DateTimeOffset> DecideWithoutLockAsync(DbContext context, CancellationToken cancellationToken) =>
        DecidingClock(context) is { } clock
            ? clock.GetUtcNow()
            : await OrchestrationProviders.For(context).ServerNowAsync(context, afterLock: false, cancellationToken).ConfigureAwait(false);
}
