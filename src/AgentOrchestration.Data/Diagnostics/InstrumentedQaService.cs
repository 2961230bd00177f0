using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Faults;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Storage;

namespace AgentOrchestration.Data.Diagnostics;

/// <summary>
/// <see cref="IQaService"/> as registered: each operation under the retry policy (<see cref="ServiceBoundary{TService}"/>),
/// with the span and log of recording a result around the service that does the work.
/// </summary>
internal sealed class InstrumentedQaService(QaService inner, OrchestrationTelemetry telemetry, FaultPolicy policy, OrchestrationContext orchestration)
    : ServiceBoundary<IQaService>(policy, orchestration), IQaService
{
    private const string Prefix = nameof(IQaService) + ".";

    public Task<QaResult> RecordResultAsync(NewQaResult result, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(RecordResultAsync), (self: this, result), static (s, ct) => s.self.RecordResultOnceAsync(s.result, ct), cancellationToken);

    public Task<WorkItem> StartQaAsync(Guid taskId, string sessionId, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(StartQaAsync), (inner, taskId, sessionId), static (s, ct) => s.inner.StartQaAsync(s.taskId, s.sessionId, ct), cancellationToken);

    public Task<QaState> GetStateAsync(Guid taskId, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(GetStateAsync), (inner, taskId), static (s, ct) => s.inner.GetStateAsync(s.taskId, ct), cancellationToken);

    public Task<IReadOnlyList<QaResult>> ListResultsAsync(Guid taskId, CancellationToken cancellationToken = default) =>
        Run(Prefix + nameof(ListResultsAsync), (inner, taskId), static (s, ct) => s.inner.ListResultsAsync(s.taskId, ct), cancellationToken);

    private async Task<QaResult> RecordResultOnceAsync(NewQaResult result, CancellationToken cancellationToken)
    {
        using var span = OrchestrationTelemetry.StartSpan(SpanNames.QaRecord)?
            .SetTag(TagNames.WorkItemId, result?.TaskId)
            .SetTag(TagNames.SessionId, result?.SessionId)
            .SetTag(TagNames.QaType, result is null ? null : StoredEnum.ToStore(result.QaType))
            .SetTag(TagNames.QaStatus, result is null ? null : StoredEnum.ToStore(result.Status));
        try
        {
            var recorded = await inner.RecordResultAsync(result!, cancellationToken).ConfigureAwait(false);
            span?.SetTag(TagNames.Outcome, Outcomes.Ok);
            OrchestrationLog.QaResultRecorded(telemetry.Qa, recorded.QaType, recorded.Status, recorded.TaskId, recorded.AgentSessionId);
            return recorded;
        }
        catch (Exception exception)
        {
            switch (OrchestrationTelemetry.Fail(span, exception))
            {
                case Outcomes.Error:
                    OrchestrationLog.OperationFailed(telemetry.Qa, exception, "Record QA result");
                    break;
                case Outcomes.Cancelled:
                    break;
                default:
                    OrchestrationLog.QaResultRefused(telemetry.Qa, result?.TaskId ?? Guid.Empty, result?.SessionId ?? string.Empty, exception);
                    break;
            }

            throw;
        }
    }
}
