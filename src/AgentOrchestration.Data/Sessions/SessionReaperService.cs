using AgentOrchestration.Data.Diagnostics;
using AgentOrchestration.Data.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentOrchestration.Data.Sessions;

/// <summary>
/// The opt-in background reaper (<c>AddSessionReaper</c>): every <see cref="SessionReaperOptions.Interval"/> of the
/// library's clock (the one set with <c>UseClock</c>, else the registered <see cref="TimeProvider"/>) it runs <see cref="ISessionReaper.ReapAsync"/> in a new DI scope. A failed run is
/// logged (event 3005) and reported to <see cref="SessionReaperOptions.OnError"/> and the loop goes on; only stopping ends it.
/// </summary>
internal sealed class SessionReaperService(IServiceScopeFactory scopes, OrchestrationClock clock, SessionReaperOptions options, OrchestrationTelemetry telemetry) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Interval, clock.Local, stoppingToken).ConfigureAwait(false);
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<ISessionReaper>().ReapAsync(options.Timeout, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A background loop must survive any failure of one run (the database may be down); the host hears of it through OnError.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                // Nobody else hears of a background failure: a warning, not an error, since the next run may succeed.
                OrchestrationLog.ReaperRunFailed(telemetry.Sessions, exception, options.Interval);
                try
                {
                    options.OnError?.Invoke(exception);
                }
#pragma warning disable CA1031 // Nor may a faulty error callback end the loop.
                catch
#pragma warning restore CA1031
                {
                }
            }
        }
    }
}
