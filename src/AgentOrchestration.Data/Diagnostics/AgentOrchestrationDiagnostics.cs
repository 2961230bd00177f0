namespace AgentOrchestration.Data.Diagnostics;

/// <summary>
/// The names under which the library reports what it does, through the BCL's <c>System.Diagnostics</c> types (no
/// OpenTelemetry dependency): pass them to an OpenTelemetry host's <c>AddSource</c> and <c>AddMeter</c>. Logs go through
/// the host's <c>ILoggerFactory</c> under categories starting with <see cref="LogCategoryPrefix"/>. docs/observability.md
/// lists every span, tag, instrument and log event id.
/// </summary>
public static class AgentOrchestrationDiagnostics
{
    /// <summary>The name of the library's <see cref="System.Diagnostics.ActivitySource"/>: one span per public operation.</summary>
    public const string ActivitySourceName = "AgentOrchestration.Data";

    /// <summary>
    /// The name of the library's <see cref="System.Diagnostics.Metrics.Meter"/>. It is created through the host's
    /// <see cref="System.Diagnostics.Metrics.IMeterFactory"/> when one is registered (every generic host registers one).
    /// </summary>
    public const string MeterName = "AgentOrchestration.Data";

    /// <summary>The prefix of the library's log categories, such as <c>AgentOrchestration.Data.Claims</c>.</summary>
    public const string LogCategoryPrefix = "AgentOrchestration.Data";
}
