using AgentOrchestration.Data.Storage;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Faults;

/// <summary>
/// The base of each public service as registered (the <c>Instrumented*</c> classes in Diagnostics/): every method of the
/// service's interface runs through <see cref="Run{TState, T}"/> (or <see cref="Stream{T}"/>), so it runs under
/// <see cref="FaultPolicy"/>, the one place where faults of the connection or server are retried or turned into
/// <see cref="AgentOrchestrationTransientException"/>. What one attempt does (the span, metrics and logs around the
/// service that does the work) is the subclass's, so each retried attempt is a span of its own. A call made from inside
/// another public call (one service using another) runs its attempt as it is: the outermost call decides on retries.
/// </summary>
/// <typeparam name="TService">The public service interface.</typeparam>
/// <param name="policy">The retry policy.</param>
/// <param name="orchestration">The scope's context, which the policy classifies faults by and clears between attempts.</param>
internal abstract class ServiceBoundary<TService>(FaultPolicy policy, OrchestrationContext orchestration)
    where TService : class
{
    private DbContext Db => orchestration.Context;

    /// <summary>
    /// Runs one public operation: <paramref name="attempt"/> under the retry policy, named <paramref name="operation"/>
    /// (<c>IService.Method</c>, in logs, metrics and <see cref="AgentOrchestrationTransientException.Operation"/>).
    /// </summary>
    /// <typeparam name="TState">The arguments, passed to <paramref name="attempt"/> so it can be static (nothing allocated per call for it).</typeparam>
    /// <typeparam name="T">The result.</typeparam>
    protected Task<T> Run<TState, T>(string operation, TState state, Func<TState, CancellationToken, Task<T>> attempt, CancellationToken cancellationToken) =>
        FaultAttempt.Current is null
            ? policy.RunAsync(Db, operation, state, attempt, cancellationToken)
            : attempt(state, cancellationToken);

    /// <summary>Runs one public operation without a result, as <see cref="Run{TState, T}"/>.</summary>
    protected Task Run<TState>(string operation, TState state, Func<TState, CancellationToken, Task> attempt, CancellationToken cancellationToken) =>
        FaultAttempt.Current is null
            ? policy.RunAsync(Db, operation, (state, attempt), static async (s, ct) =>
            {
                await s.attempt(s.state, ct).ConfigureAwait(false);
                return true;
            }, cancellationToken)
            : attempt(state, cancellationToken);

    /// <summary>
    /// A stream of the service: the call itself ran already (its argument checks throw at the call, as without the
    /// boundary); a fault while its items are read reaches the caller typed, not retried (items were handed out).
    /// </summary>
    protected IAsyncEnumerable<T> Stream<T>(string operation, IAsyncEnumerable<T> items, CancellationToken cancellationToken) =>
        FaultAttempt.Current is null ? policy.Stream(Db, operation, items, cancellationToken) : items;
}
