using System.Runtime.ExceptionServices;
using AgentOrchestration.Data.Faults;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.PostgreSql.Storage;

/// <summary>
/// Combines concurrent one-round-trip writes of one process into one shared round trip, group-commit style: a call that
/// finds nothing in flight runs at once, alone, exactly as it would without combining; calls that arrive while one is in
/// flight queue, and when it ends the first of them runs all the queued ones (up to <see cref="MaxSize"/>) as one
/// execution on its own connection. Each caller gets the result or the exception it would get alone:
/// <list type="bullet">
/// <item>when the combined execution refuses (it writes nothing then), every caller runs its own request alone;</item>
/// <item>a fault of the combined execution reaches every caller, with the commit marked sent for each
/// (<see cref="FaultAttempt.Committing"/>) when it was, so each caller's retry policy decides as for its own statement;</item>
/// <item>a caller cancelled while queued leaves the queue and throws <see cref="OperationCanceledException"/>; once in
/// flight it is a command already sent: the shared execution is cancelled only when every caller in it is.</item>
/// </list>
/// No timer: a queue only forms while the database is busy with an earlier execution, so one caller never waits for another.
/// </summary>
/// <typeparam name="TRequest">One caller's request.</typeparam>
/// <typeparam name="TResult">One caller's result.</typeparam>
internal abstract class StatementCombiner<TRequest, TResult>
{
    private readonly Lock gate = new();
    private readonly LinkedList<Pending> queue = new();
    private bool running;
    private bool used;
    private bool retired;

    /// <summary>Gets the most a combined execution carries, in <see cref="Size"/> units.</summary>
    protected virtual int MaxSize => 64;

    /// <summary>
    /// Runs <paramref name="request"/> on <paramref name="db"/>'s connection, combined with concurrent requests when some
    /// are in flight; <see langword="null"/> when this combiner is retired (<see cref="TryRetire"/>): it takes no caller
    /// any more, and the caller looks up the combiner that replaces it (<see cref="CombinerRegistry{TKey, TRequest, TResult}"/>).
    /// </summary>
    public Task<TResult>? TryRunAsync(DbContext db, TRequest request, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<TResult>(cancellationToken);
        }

        var shareable = Size(request) < MaxSize;
        Pending? pending = null;
        lock (gate)
        {
            if (retired)
            {
                return null;
            }

            used = true;
            if (running && shareable)
            {
                pending = new Pending(request);
                pending.Node = queue.AddLast(pending);
            }
            else
            {
                // A request too large to share runs alone without taking the lead, so it never holds queued callers behind it.
                running |= shareable;
            }
        }

        return pending is null ? RunFirstAsync(db, request, shareable, cancellationToken) : RunQueuedAsync(db, request, pending, cancellationToken);
    }

    /// <summary>
    /// Retires this combiner when it is idle (nothing in flight, nothing queued) and was not used since the last call
    /// (an idle combiner holds nothing, so one in use keeps its place only to spare allocating its successor); from
    /// then on <see cref="TryRunAsync"/> refuses every caller. Decided under the same lock a caller enters by, so no
    /// caller is ever queued behind a retired combiner, where no leader would hand it a turn.
    /// </summary>
    /// <returns>Whether it is retired.</returns>
    public bool TryRetire()
    {
        lock (gate)
        {
            if (running || queue.Count > 0 || used)
            {
                used = false;
                return false;
            }

            retired = true;
            return true;
        }
    }

    private async Task<TResult> RunFirstAsync(DbContext db, TRequest request, bool shareable, CancellationToken cancellationToken)
    {
        // Nothing in flight: alone, on the caller's own token, exactly as without combining.
        try
        {
            return await RunAloneAsync(db, request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (shareable)
            {
                HandOff();
            }
        }
    }

    private async Task<TResult> RunQueuedAsync(DbContext db, TRequest request, Pending pending, CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.CanBeCanceled ? cancellationToken.Register(() => Cancelled(pending, cancellationToken)) : default;
        var turn = await pending.Turn.Task.ConfigureAwait(false);
        if (turn.Batch is { } batch)
        {
            // This caller's turn to run the queue on its own connection; the next turn is handed on when it ends.
            try
            {
                if (batch.Members.Count == 1)
                {
                    // Alone after all: as without combining, on its own token.
                    return await RunAloneAsync(db, request, cancellationToken).ConfigureAwait(false);
                }

                turn = await RunBatchAsync(db, batch).ConfigureAwait(false);
            }
            finally
            {
                HandOff();
            }
        }

        if (turn.CommitStarted)
        {
            // The shared execution's commit was sent for this caller as for every other: its outcome is unknown after a fault.
            FaultAttempt.Committing();
        }

        turn.Fault?.Throw();
        return turn.Alone ? await RunAloneAsync(db, request, cancellationToken).ConfigureAwait(false) : turn.Result!;
    }

    /// <summary>How much of <see cref="MaxSize"/> <paramref name="request"/> takes (its leases, or 1).</summary>
    protected abstract int Size(TRequest request);

    /// <summary>The rows <paramref name="request"/> locks; requests that share one never go into the same execution.</summary>
    protected abstract IEnumerable<Guid> Keys(TRequest request);

    /// <summary>The request on its own, as without combining.</summary>
    protected abstract Task<TResult> RunAloneAsync(DbContext db, TRequest request, CancellationToken cancellationToken);

    /// <summary>The requests as one execution (one round trip, one transaction): each one's result in order, or <see langword="null"/> when it wrote nothing and each must run alone.</summary>
    protected abstract Task<IReadOnlyList<TResult>?> RunCombinedAsync(DbContext db, IReadOnlyList<TRequest> requests, CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="batch"/> (its first member is the caller), ends every other member's turn and returns the caller's; never throws.</summary>
    private async Task<Turn> RunBatchAsync(DbContext db, Batch batch)
    {
        var requests = new TRequest[batch.Members.Count];
        for (var i = 0; i < requests.Length; i++)
        {
            requests[i] = batch.Members[i].Request;
        }

        var (results, commitStarted, fault) = await RunDetachedAsync(db, requests, batch.Cancellation.Token).ConfigureAwait(false);
        Turn Of(int i) => fault is not null ? new Turn(null, default, false, commitStarted, fault)
            : results is null ? new Turn(null, default, true, false, null)
            : new Turn(null, results[i], false, false, null);
        for (var i = 1; i < requests.Length; i++)
        {
            batch.Members[i].Turn.TrySetResult(Of(i));
        }

        return Of(0);
    }

    /// <summary>
    /// Runs the combined execution in an attempt of its own (an <see cref="AsyncLocal{T}"/> set in an async method does
    /// not flow back to its caller), to learn whether its commit was sent: that is then told to every caller alike.
    /// </summary>
    private async Task<(IReadOnlyList<TResult>? Results, bool CommitStarted, ExceptionDispatchInfo? Fault)> RunDetachedAsync(
        DbContext db, IReadOnlyList<TRequest> requests, CancellationToken cancellationToken)
    {
        var attempt = FaultAttempt.Begin();
        try
        {
            var results = await RunCombinedAsync(db, requests, cancellationToken).ConfigureAwait(false);
            return (results, attempt.CommitStarted, null);
        }
#pragma warning disable CA1031 // Whatever it is, the exception belongs to every caller of the execution.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            return (null, attempt.CommitStarted, ExceptionDispatchInfo.Capture(exception));
        }
    }

    /// <summary>Ends a turn: the queue goes to its first caller with as many requests as fit, or nothing is in flight any more.</summary>
    private void HandOff()
    {
        Batch batch;
        lock (gate)
        {
            var members = new List<Pending>();
            var keys = new HashSet<Guid>();
            var size = 0;
            for (var node = queue.First; node is not null;)
            {
                var next = node.Next;
                var request = node.Value.Request;
                var requestSize = Size(request);
                if (size + requestSize <= MaxSize && Keys(request).All(k => !keys.Contains(k)))
                {
                    keys.UnionWith(Keys(request));
                    size += requestSize;
                    members.Add(node.Value);
                    queue.Remove(node);
                    node.Value.Node = null;
                }

                node = next;
            }

            if (members.Count == 0)
            {
                running = false;
                return;
            }

            batch = new Batch(members);
            foreach (var member in members)
            {
                member.Batch = batch;
            }
        }

        // The first caller runs it; the others wait for its end.
        batch.Members[0].Turn.TrySetResult(new Turn(batch, default, false, false, null));
    }

    private void Cancelled(Pending pending, CancellationToken token)
    {
        Batch? batch;
        lock (gate)
        {
            batch = pending.Batch;
            if (batch is null && pending.Node is { } node)
            {
                // Still queued: it leaves the queue, as a command never sent.
                queue.Remove(node);
                pending.Node = null;
                pending.Turn.TrySetCanceled(token);
                return;
            }
        }

        // In flight: the shared execution is cancelled only once every caller in it is.
        if (batch is not null && Interlocked.Decrement(ref batch.Live) == 0)
        {
            batch.Cancellation.Cancel();
        }
    }

    private sealed record Turn(Batch? Batch, TResult? Result, bool Alone, bool CommitStarted, ExceptionDispatchInfo? Fault);

    private sealed class Pending(TRequest request)
    {
        public TRequest Request => request;

        public LinkedListNode<Pending>? Node { get; set; }

        public Batch? Batch { get; set; }

        public TaskCompletionSource<Turn> Turn { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Batch(List<Pending> members)
    {
        public int Live = members.Count;

        public List<Pending> Members => members;

        public CancellationTokenSource Cancellation { get; } = new();
    }
}
