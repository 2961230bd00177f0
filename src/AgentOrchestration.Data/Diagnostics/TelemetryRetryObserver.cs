using AgentOrchestration.Data.Faults;

namespace AgentOrchestration.Data.Diagnostics;

/// <summary>The retry policy's observer: each retry and each give-up is logged, counted and marked on the current span.</summary>
internal sealed class TelemetryRetryObserver(OrchestrationTelemetry telemetry, RetryOptions options) : IRetryObserver
{
    public void Retrying(string operation, int attempt, TimeSpan delay, Exception fault) =>
        telemetry.TransientFaultRetried(operation, fault, attempt, options.MaxAttempts, delay);

    public void GaveUp(string operation, int attempts, bool mayHaveCommitted, Exception fault) =>
        telemetry.TransientFaultExhausted(operation, fault, attempts);

    // A resolved commit is the normal end of a retried operation; its retries were logged already.
    public void Resolved(string operation, bool landed)
    {
    }
}
