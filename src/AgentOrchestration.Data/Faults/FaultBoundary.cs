using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using AgentOrchestration.Data.Storage;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Faults;

/// <summary>
/// Wraps a public service (<typeparamref name="TService"/>) so every call of it runs under <see cref="FaultPolicy"/>:
/// the one place where faults of the connection or server are retried or turned into
/// <see cref="AgentOrchestrationTransientException"/>, whichever service and method was called. A call made from inside
/// another wrapped call (one service using another) runs as it is: the outermost call decides.
/// </summary>
/// <typeparam name="TService">The public service interface.</typeparam>
#pragma warning disable CA1852 // DispatchProxy derives the proxy type from this class.
internal class FaultBoundary<TService> : DispatchProxy
#pragma warning restore CA1852
    where TService : class
{
    private static readonly ConcurrentDictionary<MethodInfo, Func<FaultBoundary<TService>, MethodInfo, object?[], object?>> Dispatchers = new();

    private static readonly MethodInfo RunTypedMethod = typeof(FaultBoundary<TService>).GetMethod(nameof(RunTyped), BindingFlags.NonPublic | BindingFlags.Instance)!;

    private static readonly MethodInfo StreamMethod = typeof(FaultBoundary<TService>).GetMethod(nameof(Stream), BindingFlags.NonPublic | BindingFlags.Instance)!;

    private TService target = null!;
    private FaultPolicy policy = null!;
    private DbContext db = null!;

    /// <summary>Wraps <paramref name="target"/>.</summary>
    public static TService Wrap(TService target, FaultPolicy policy, OrchestrationContext orchestration)
    {
        var proxy = Create<TService, FaultBoundary<TService>>();
        var boundary = (FaultBoundary<TService>)(object)proxy;
        boundary.target = target;
        boundary.policy = policy;
        boundary.db = orchestration.Context;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        args ??= [];
        if (FaultAttempt.Current is not null)
        {
            return Direct(targetMethod, args);
        }

        return Dispatchers.GetOrAdd(targetMethod, Dispatcher)(this, targetMethod, args);
    }

    private static Func<FaultBoundary<TService>, MethodInfo, object?[], object?> Dispatcher(MethodInfo method)
    {
        var type = method.ReturnType;
        if (type == typeof(Task))
        {
            return static (b, m, a) => b.policy.RunAsync<object?>(b.db, Name(m), async ct =>
            {
                await ((Task)b.Direct(m, WithToken(m, a, ct))!).ConfigureAwait(false);
                return null;
            }, Token(m, a));
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Task<>))
        {
            var run = RunTypedMethod.MakeGenericMethod(type.GetGenericArguments()[0]);
            return (b, m, a) => run.Invoke(b, BindingFlags.DoNotWrapExceptions, null, [m, a], null);
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>))
        {
            var stream = StreamMethod.MakeGenericMethod(type.GetGenericArguments()[0]);
            // The call itself runs now, so its argument checks throw at the call as without the boundary; the items come later.
            return (b, m, a) => stream.Invoke(b, BindingFlags.DoNotWrapExceptions, null, [m, b.Direct(m, a), Token(m, a)], null);
        }

        return static (b, m, a) => b.Direct(m, a);
    }

    private Task<T> RunTyped<T>(MethodInfo method, object?[] args) =>
        policy.RunAsync(db, Name(method), ct => (Task<T>)Direct(method, WithToken(method, args, ct))!, Token(method, args));

    /// <summary>A stream is not retried (its items were already handed out): a fault while it is read is reported typed.</summary>
    private async IAsyncEnumerable<T> Stream<T>(MethodInfo method, IAsyncEnumerable<T> items, [EnumeratorCancellation] CancellationToken cancellationToken)
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
            catch (Exception exception) when (FaultPolicy.Classify(db, exception) != FaultKind.None)
            {
                throw policy.GiveUp(Name(method), 1, mayHaveCommitted: false, exception);
            }

            yield return item;
        }
    }

    private object? Direct(MethodInfo method, object?[] args) => method.Invoke(target, BindingFlags.DoNotWrapExceptions, null, args, null);

    private static string Name(MethodInfo method) => $"{typeof(TService).Name}.{method.Name}";

    private static int TokenIndex(MethodInfo method) => Array.FindIndex(method.GetParameters(), p => p.ParameterType == typeof(CancellationToken));

    private static CancellationToken Token(MethodInfo method, object?[] args) =>
        TokenIndex(method) is >= 0 and var i && args[i] is CancellationToken token ? token : CancellationToken.None;

    /// <summary>The arguments of one attempt (a copy: an attempt must not see what the previous one's callee did to them).</summary>
    private static object?[] WithToken(MethodInfo method, object?[] args, CancellationToken token)
    {
        var copy = (object?[])args.Clone();
        if (TokenIndex(method) is >= 0 and var i)
        {
            copy[i] = token;
        }

        return copy;
    }
}
