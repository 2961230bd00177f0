using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Qa;

namespace AgentOrchestration.Data.Diagnostics;

/// <summary><see cref="IQaService"/> as registered: the span and log of recording a result around the service that does the work.</summary>
internal sealed class InstrumentedQaService(QaService inner, OrchestrationTelemetry telemetry) : IQaService
{
    public async Task<QaResult> RecordResultAsync(NewQaResult result, CancellationToken cancellationToken = default)
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

    public Task<WorkItem> StartQaAsync(Guid taskId, string sessionId, CancellationToken cancellationToken = default) => inner.StartQaAsync(taskId, sessionId, cancellationToken);

    public Task<QaState> GetStateAsync(Guid taskId, CancellationToken cancellationToken = default) => inner.GetStateAsync(taskId, cancellationToken);

    public Task<IReadOnlyList<QaResult>> ListResultsAsync(Guid taskId, CancellationToken cancellationToken = default) => inner.ListResultsAsync(taskId, cancellationToken);
}
