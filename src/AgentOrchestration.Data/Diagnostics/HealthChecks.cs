using System.Globalization;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentOrchestration.Data.Diagnostics;

/// <summary>
/// Whether the database answers: one <c>SELECT 1</c> on the library's context. The description carries the provider's
/// error message, never the connection string.
/// </summary>
internal sealed class DatabaseHealthCheck(IServiceScopeFactory scopes) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrchestrationContext>().Context;
        try
        {
            await db.Database.ExecuteSqlRawAsync("SELECT 1", cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy("The database answers.");
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The database does not answer: {exception.Message}", exception);
        }
    }
}

/// <summary>Whether every migration of the context is applied (turnkey: the provider package's; embedded: the host's own).</summary>
internal sealed class MigrationsHealthCheck(IServiceScopeFactory scopes) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrchestrationContext>().Context;
        IReadOnlyList<string> pending;
        try
        {
            pending = [.. await db.Database.GetPendingMigrationsAsync(cancellationToken).ConfigureAwait(false)];
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The applied migrations cannot be read: {exception.Message}", exception);
        }

        if (pending.Count == 0)
        {
            return HealthCheckResult.Healthy("Every migration is applied.");
        }

        return new HealthCheckResult(
            context.Registration.FailureStatus,
            $"{pending.Count} migration(s) are not applied: {string.Join(", ", pending)}. Run IAgentOrchestrationMigrator.MigrateAsync (turnkey) or the host's migrations.",
            data: new Dictionary<string, object> { ["pending"] = pending });
    }
}

/// <summary>
/// PostgreSQL: whether a transaction that wrote an event (it holds the feed's writer lock) has been open longer than
/// <see cref="AgentOrchestrationHealthCheckOptions.EventFeedStallThreshold"/>. Watches deliver nothing past such a
/// transaction's position until it ends, so every live dashboard stalls behind it. One query of <c>pg_locks</c> and
/// <c>pg_stat_activity</c>; the role needs <c>pg_read_all_stats</c> (or to be the holder's role) to see other roles'
/// transaction start times. SQLite has no such stall: healthy.
/// </summary>
internal sealed class EventFeedHealthCheck(IServiceScopeFactory scopes, AgentOrchestrationHealthCheckOptions options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrchestrationContext>().Context;
        EventFeedWriter? writer;
        try
        {
            writer = await OrchestrationProviders.For(db).FindOldestEventFeedWriterAsync(db, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The event feed's writers cannot be read: {exception.Message}", exception);
        }

        if (writer is null || writer.Seconds < options.EventFeedStallThreshold.TotalSeconds)
        {
            return HealthCheckResult.Healthy("No transaction holds the event feed back.");
        }

        var age = TimeSpan.FromSeconds(writer.Seconds);
        return new HealthCheckResult(
            context.Registration.FailureStatus,
            string.Create(CultureInfo.InvariantCulture,
                $"The event feed is held back by a transaction open for {age} (server process {writer.Pid}, application '{writer.Application}', {writer.State}); watches deliver nothing after it until it ends."),
            data: new Dictionary<string, object> { ["pid"] = writer.Pid, ["application"] = writer.Application, ["state"] = writer.State, ["open_seconds"] = writer.Seconds });
    }
}
