using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.PostgreSql.Storage;

/// <summary>
/// The combiners of one kind by key (the database, clock, project ... whose requests one statement decides alike), with
/// the idle ones evicted: a long-running host with many projects, or a test suite creating many databases, would
/// otherwise keep one per key it ever saw. No timer: every so many new keys (as many as survived the last sweep, at
/// least <see cref="MinimumSweep"/>, so sweeping costs O(1) a new key and the entries stay within about twice those in
/// use) the caller that added one sweeps, retiring each combiner idle since the sweep before
/// (<see cref="StatementCombiner{TRequest, TResult}.TryRetire"/>). Race-free: a caller that looked a combiner up just before
/// it was retired is refused by it (never queued where no leader would hand it a turn) and looks up its successor.
/// </summary>
/// <typeparam name="TKey">What requests that may share an execution have in common.</typeparam>
/// <typeparam name="TRequest">One caller's request.</typeparam>
/// <typeparam name="TResult">One caller's result.</typeparam>
internal sealed class CombinerRegistry<TKey, TRequest, TResult>
    where TKey : notnull
{
    /// <summary>The fewest new keys between two sweeps.</summary>
    internal const int MinimumSweep = 64;

    private readonly ConcurrentDictionary<TKey, StatementCombiner<TRequest, TResult>> entries = new();
    private int addedSinceSweep;
    private int sweepAfter = MinimumSweep;
    private int sweeping;

    /// <summary>Runs <paramref name="request"/> through <paramref name="key"/>'s combiner, made by <paramref name="create"/> from <paramref name="state"/> when there is none.</summary>
    public Task<TResult> RunAsync<TState>(
        TKey key, Func<TState, StatementCombiner<TRequest, TResult>> create, TState state, DbContext db, TRequest request, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!entries.TryGetValue(key, out var combiner))
            {
                var created = create(state);
                combiner = entries.GetOrAdd(key, created);
                if (ReferenceEquals(combiner, created) && Interlocked.Increment(ref addedSinceSweep) >= Volatile.Read(ref sweepAfter))
                {
                    Sweep();
                }
            }

            if (combiner.TryRunAsync(db, request, cancellationToken) is { } running)
            {
                return running;
            }

            // Retired after this caller looked it up: out of the way (unless the sweep removed it, or a successor took
            // its place, which this leaves alone), and again.
            entries.TryRemove(new KeyValuePair<TKey, StatementCombiner<TRequest, TResult>>(key, combiner));
        }
    }

    /// <summary>Retires and removes every combiner idle since the sweep before; a sweep already under way makes this one a no-op.</summary>
    internal void Sweep()
    {
        if (Interlocked.Exchange(ref sweeping, 1) == 1)
        {
            return;
        }

        try
        {
            Volatile.Write(ref addedSinceSweep, 0);
            foreach (var (key, combiner) in entries)
            {
                if (combiner.TryRetire())
                {
                    entries.TryRemove(new KeyValuePair<TKey, StatementCombiner<TRequest, TResult>>(key, combiner));
                }
            }

            Volatile.Write(ref sweepAfter, Math.Max(MinimumSweep, entries.Count));
        }
        finally
        {
            Volatile.Write(ref sweeping, 0);
        }
    }

    /// <summary>How many combiners whose key matches <paramref name="predicate"/> are held (for tests).</summary>
    internal int Count(Func<TKey, bool> predicate) => entries.Keys.Count(predicate);

    /// <summary>The combiners held for the keys that match <paramref name="predicate"/> (for tests).</summary>
    internal IReadOnlyList<StatementCombiner<TRequest, TResult>> Where(Func<TKey, bool> predicate) => [.. entries.Where(e => predicate(e.Key)).Select(e => e.Value)];
}
