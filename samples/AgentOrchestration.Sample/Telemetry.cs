using AgentOrchestration.Data.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AgentOrchestration.Sample;

/// <summary>Where the sample's OpenTelemetry exports go (<c>--telemetry</c>).</summary>
internal enum TelemetryExporter
{
    /// <summary>Nothing is exported (the default).</summary>
    None,

    /// <summary>Spans, metrics and logs are written to the console.</summary>
    Console,

    /// <summary>Spans, metrics and logs go over OTLP to a collector (OTEL_EXPORTER_OTLP_ENDPOINT).</summary>
    Otlp,
}

/// <summary>
/// What an operator sees: the library reports through the BCL's ActivitySource, Meter and ILogger, and the host chooses
/// to export them; here with OpenTelemetry, to the console or over OTLP. Npgsql's spans nest under the library's.
/// </summary>
internal static class Telemetry
{
    public static void Add(IServiceCollection services, TelemetryExporter exporter)
    {
        if (exporter == TelemetryExporter.None)
        {
            return;
        }

        // EF Core logs every command at Information: keep the library's records, not the SQL.
        services.AddLogging(b => b.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning));
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("AgentOrchestration.Sample"))
            .WithTracing(t =>
            {
                t.AddSource(AgentOrchestrationDiagnostics.ActivitySourceName, "Npgsql");
                _ = exporter == TelemetryExporter.Console ? t.AddConsoleExporter() : t.AddOtlpExporter();
            })
            .WithMetrics(m =>
            {
                m.AddMeter(AgentOrchestrationDiagnostics.MeterName);
                _ = exporter == TelemetryExporter.Console ? m.AddConsoleExporter() : m.AddOtlpExporter();
            })
            .WithLogging(l =>
            {
                _ = exporter == TelemetryExporter.Console ? l.AddConsoleExporter() : l.AddOtlpExporter();
            });
    }

    /// <summary>
    /// Without a generic host nothing starts the providers: resolving them does (and disposing the service provider
    /// flushes them).
    /// </summary>
    public static void Start(IServiceProvider services)
    {
        _ = services.GetService<TracerProvider>();
        _ = services.GetService<MeterProvider>();
    }
}
