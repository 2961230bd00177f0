using AgentOrchestration.Data.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace AgentOrchestration.Docs.Snippets;

/// <summary>The snippets of docs/observability.md.</summary>
internal static class Observability
{
    public static async Task OpenTelemetryHostAsync(string[] args, string connectionString)
    {
        #region observability-host
        var builder = Host.CreateApplicationBuilder(args);
        builder.Services.AddAgentOrchestration(o => o.UsePostgreSql(connectionString).AddSessionReaper());
        builder.Services.AddHealthChecks().AddAgentOrchestration(o => o.EventFeedStallThreshold = TimeSpan.FromMinutes(2));

        // The library reports through ActivitySource, Meter and ILogger; the host exports them.
        builder.Services.AddOpenTelemetry()
            .WithTracing(t => t.AddSource(AgentOrchestrationDiagnostics.ActivitySourceName, "Npgsql").AddOtlpExporter())
            .WithMetrics(m => m.AddMeter(AgentOrchestrationDiagnostics.MeterName).AddOtlpExporter())
            .WithLogging(l => l.AddOtlpExporter());
        builder.Logging.AddFilter(AgentOrchestrationDiagnostics.LogCategoryPrefix, LogLevel.Information);

        using var host = builder.Build();
        await host.RunAsync();   // fails at start-up, naming each option out of range, before any agent runs
        #endregion
    }

    public static async Task<bool> HealthAsync(IServiceProvider services)
    {
        #region observability-health
        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        foreach (var (name, entry) in report.Entries)
        {
            Console.WriteLine($"{name}: {entry.Status} {entry.Description}");
        }
        #endregion
        return report.Status == HealthStatus.Healthy;
    }
}
