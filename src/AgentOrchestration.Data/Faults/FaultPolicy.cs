using System.Net.Sockets;
using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Diagnostics;
using AgentOrchestration.Data.Storage;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Faults;

/// <summary>
/// The one retry policy of the library: classifies what a database call threw, retries what is safe (see
/// <see cref="RetryOptions"/>), resolves an unknown commit where the operation can check it, and turns every other fault
/// of the connection or server into <see cref="AgentOrchestrationTransientException"/>. Each retry and each give-up is
/// logged, counted and marked on the current span (<see cref="OrchestrationTelemetry"/>).
/// </summary>
/// <param name="options">How often and how long to retry.</param>
/// <param name="telemetry">Where retries and give-ups are reported.</param>
/// <param name="observer">A test's hook, told after the telemetry; none is registered in a host.</param>
internal sealed class FaultPolicy(RetryOptions options, OrchestrationTelemetry telemetry, IRetryObserver? observer = null)
{
    public RetryOptions Options => options;

    /// <summary>What <paramref name="exception"/> (or an exception it wraps) is: a fault of the connection or server, or not.</summary>
    public static FaultKind Classify(DbContext db, Exception exception)
    {
        if (exception is AgentOrchestrationException or AgentOrchestrationTransientException or OperationCanceledException)
        {
            return FaultKind.None;
        }

        var provider = OrchestrationProviders.For(db);
        for (var current = exception; current is not null; current = current.InnerException)
        {
            var kind = provider.ClassifyFault(current);
            if (kind != FaultKind.None)
            {
                return kind;
            }

            // A socket or stream that broke under the driver, whichever driver.
            if (current is IOException or SocketException)
            {
                return FaultKind.Transient;
            }
        }

        return FaultKind.None;
    }

    /// <summary>
    /// Runs <paramref name="operation"/> (the whole public operation), again where a retry is safe. Inside a transaction
    /// of the caller nothing is retried (the caller's transaction is broken with the connection).
    /// </summary>
    /// <typeparam name="TState">What the operation needs (its arguments), passed to each attempt so the attempt can be a static lambda (no closure per call).</typeparam>
    /// <typeparam name="T">The operation's result.</typeparam>
    public async Task<T> RunAsync<TState, T>(DbContext db, string name, TState state, Func<TState, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        var inCallersTransaction = db.Database.CurrentTransaction is not null;

        // A context that held a host's unsaved changes cannot be cleared between attempts; such a call can only be a read
        // (a write refuses to start then), which leaves nothing to clear.
        var clearBetweenAttempts = !db.ChangeTracker.HasChanges();
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var attemptState = FaultAttempt.Begin();
                observer?.Started(name);
                Exception fault;
                FaultKind kind;
                try
                {
                    return await operation(state, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception exception) when ((kind = Classify(db, exception)) != FaultKind.None)
                {
                    fault = exception;
                }

                FaultAttempt.End();
                if (clearBetweenAttempts)
                {
                    db.ChangeTracker.Clear();
                }

                var mayHaveCommitted = attemptState.CommitStarted && !inCallersTransaction;
                if (mayHaveCommitted && attemptState.Landed is { } landed && !attemptState.Idempotent)
                {
                    var resolved = await ResolveAsync(db, name, landed, attempt, fault, cancellationToken).ConfigureAwait(false);
                    if (resolved == true)
                    {
                        return default!;
                    }

                    // Known not to have landed: as safe to run again as a fault before the commit.
                    mayHaveCommitted = resolved is null;
                }

                var retry = kind == FaultKind.Transient && !inCallersTransaction && attempt < options.MaxAttempts
                    && (!mayHaveCommitted || attemptState.Idempotent);
                if (!retry)
                {
                    throw GiveUp(name, attempt, mayHaveCommitted, fault);
                }

                await BackoffAsync(name, attempt, fault, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            FaultAttempt.End();
        }
    }

    /// <summary>A stream is not retried (its items were already handed out): a fault while it is read is reported typed.</summary>
    public IAsyncEnumerable<T> Stream<T>(DbContext db, string name, IAsyncEnumerable<T> items, CancellationToken cancellationToken)
    {
        observer?.Started(name);
        return Typed(db, name, items, cancellationToken);
    }

    private async IAsyncEnumerable<T> Typed<T>(DbContext db, string name, IAsyncEnumerable<T> items, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var enumerator = items.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            T item;
            try
            {
                if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                {
                    yield break;
                }

                item = enumerator.Current;
            }
            catch (Exception exception) when (Classify(db, exception) != FaultKind.None)
            {
                throw GiveUp(name, 1, mayHaveCommitted: false, exception);
            }

            yield return item;
        }
    }

    /// <summary>The exception that reports <paramref name="fault"/> to the caller, once it was logged (event 6002).</summary>
    public AgentOrchestrationTransientException GiveUp(string name, int attempts, bool mayHaveCommitted, Exception fault)
    {
        telemetry.TransientFaultExhausted(name, fault, attempts);
        observer?.GaveUp(name, attempts, mayHaveCommitted, fault);
        return new AgentOrchestrationTransientException(name, mayHaveCommitted, attempts, fault);
    }

    /// <summary>Waits before the attempt after <paramref name="failedAttempt"/>, once the retry was reported (event 6001, the retry metric and span event); the token ends the wait.</summary>
    public Task BackoffAsync(string name, int failedAttempt, Exception fault, CancellationToken cancellationToken)
    {
        var delay = options.Backoff(failedAttempt);
        telemetry.TransientFaultRetried(name, fault, failedAttempt, options.MaxAttempts, delay);
        observer?.Retrying(name, failedAttempt, delay, fault);
        return Task.Delay(delay, cancellationToken);
    }

    /// <summary>Asks <paramref name="landed"/> whether the unknown commit was written, retrying the check itself; <see langword="null"/> when it could not tell.</summary>
    private async Task<bool?> ResolveAsync(DbContext db, string name, Func<CancellationToken, Task<bool>> landed, int attempt, Exception fault, CancellationToken cancellationToken)
    {
        for (var check = attempt; ; check++)
        {
            await BackoffAsync(name, check, fault, cancellationToken).ConfigureAwait(false);
            try
            {
                var result = await landed(cancellationToken).ConfigureAwait(false);
                db.ChangeTracker.Clear();
                // A resolved commit is the normal end of a retried operation; its retries were reported already.
                observer?.Resolved(name, result);
                return result;
            }
            catch (Exception exception) when (Classify(db, exception) != FaultKind.None)
            {
                fault = exception;
                db.ChangeTracker.Clear();
                if (check >= options.MaxAttempts)
                {
                    return null;
                }
            }
        }
    }
}
