using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentOrchestration.Data.Diagnostics;

/// <summary>
/// The library's loggers, its <see cref="ActivitySource"/> and the instruments of its <see cref="Meter"/>: one singleton
/// per service provider, so each host (and each test's provider) gets its own meter from its own
/// <see cref="IMeterFactory"/>, and its own <see cref="ILoggerFactory"/>. Without either registered, the library's own
/// meter and no logging.
/// </summary>
internal sealed class OrchestrationTelemetry : IDisposable
{
    /// <summary>One source for the process, as OpenTelemetry expects (listeners subscribe by name).</summary>
    public static readonly ActivitySource Source = new(AgentOrchestrationDiagnostics.ActivitySourceName, Version);

    /// <summary>Bucket bounds for latencies in seconds: 1 ms to 10 s, where claims and completions fall.</summary>
    private static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Meter meter;
    private readonly bool ownsMeter;

    public OrchestrationTelemetry(IServiceProvider services)
    {
        var loggers = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        Claims = loggers.CreateLogger(AgentOrchestrationDiagnostics.LogCategoryPrefix + ".Claims");
        Locks = loggers.CreateLogger(AgentOrchestrationDiagnostics.LogCategoryPrefix + ".Locks");
        Sessions = loggers.CreateLogger(AgentOrchestrationDiagnostics.LogCategoryPrefix + ".Sessions");
        Qa = loggers.CreateLogger(AgentOrchestrationDiagnostics.LogCategoryPrefix + ".Qa");
        Events = loggers.CreateLogger(AgentOrchestrationDiagnostics.LogCategoryPrefix + ".EventLog");
        Faults = loggers.CreateLogger(AgentOrchestrationDiagnostics.LogCategoryPrefix + ".Faults");

        var options = new MeterOptions(AgentOrchestrationDiagnostics.MeterName) { Version = Version };
        if (services.GetService<IMeterFactory>() is { } factory)
        {
            meter = factory.Create(options);
        }
        else
        {
            meter = new Meter(options);
            ownsMeter = true;
        }

        var latency = new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets };
        ClaimsCounter = meter.CreateCounter<long>("agent_orchestration.claims", "{claim}", "Claims, by outcome (claimed, empty, refused, error, cancelled).");
        ClaimedItems = meter.CreateCounter<long>("agent_orchestration.claimed_items", "{work_item}", "Work items taken by claims.");
        ClaimDuration = meter.CreateHistogram("agent_orchestration.claim.duration", "s", "How long a claim took, by outcome.", advice: latency);
        CompleteDuration = meter.CreateHistogram("agent_orchestration.complete.duration", "s", "How long a completion took, by outcome.", advice: latency);
        LeaseLosses = meter.CreateCounter<long>("agent_orchestration.lease.losses", "{lease}", "Renewals, completions and releases refused because the lease was lost, by operation.");
        LockAcquisitions = meter.CreateCounter<long>("agent_orchestration.lock.acquisitions", "{lock}", "File locks granted (or refreshed) by acquire calls.");
        LockConflicts = meter.CreateCounter<long>("agent_orchestration.lock.conflicts", "{call}", "Acquire calls refused because another session holds an overlapping lock.");
        SessionsReaped = meter.CreateCounter<long>("agent_orchestration.sessions.reaped", "{session}", "Silent sessions the reaper ended.");
        ItemsReturned = meter.CreateCounter<long>("agent_orchestration.work_items.returned", "{work_item}", "Work items the reaper returned to the ready queue.");
        LocksReleasedByReaper = meter.CreateCounter<long>("agent_orchestration.reaper.locks_released", "{lock}", "File locks the reaper released.");
        EventsAppended = meter.CreateCounter<long>("agent_orchestration.events.appended", "{event}", "Events appended to the log by committed writes.");
        WatchLag = meter.CreateHistogram("agent_orchestration.watch.lag", "s", "Time from an event's timestamp to its delivery by a watch.", advice: latency);
        WatchReconnects = meter.CreateCounter<long>("agent_orchestration.watch.reconnects", "{reconnect}", "Event watch reads retried after a transient fault.");
        TransientRetries = meter.CreateCounter<long>("agent_orchestration.transient_faults.retried", "{retry}", "Operations retried after a transient database fault, by operation.");
    }

    public ILogger Claims { get; }

    public ILogger Locks { get; }

    public ILogger Sessions { get; }

    public ILogger Qa { get; }

    public ILogger Events { get; }

    public ILogger Faults { get; }

    public Counter<long> ClaimsCounter { get; }

    public Counter<long> ClaimedItems { get; }

    public Histogram<double> ClaimDuration { get; }

    public Histogram<double> CompleteDuration { get; }

    public Counter<long> LeaseLosses { get; }

    public Counter<long> LockAcquisitions { get; }

    public Counter<long> LockConflicts { get; }

    public Counter<long> SessionsReaped { get; }

    public Counter<long> ItemsReturned { get; }

    public Counter<long> LocksReleasedByReaper { get; }

    public Counter<long> EventsAppended { get; }

    public Histogram<double> WatchLag { get; }

    public Counter<long> WatchReconnects { get; }

    /// <summary>For the transient-fault retry policy: count with <see cref="TransientFaultRetried"/>.</summary>
    public Counter<long> TransientRetries { get; }

    private static string Version { get; } =
        typeof(OrchestrationTelemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(OrchestrationTelemetry).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    /// <summary>Starts the span of a public operation; <see langword="null"/> (and no cost) when nobody listens.</summary>
    public static Activity? StartSpan(string name) => Source.StartActivity(name, ActivityKind.Internal);

    /// <summary>Ends a span with the outcome of an exception: a refusal keeps the span's status unset, a fault sets it to error.</summary>
    public static string Fail(Activity? activity, Exception exception)
    {
        var outcome = Outcomes.Of(exception);
        if (activity is not null)
        {
            activity.SetTag(TagNames.Outcome, outcome);
            if (outcome == Outcomes.Error)
            {
                activity.SetTag(TagNames.ErrorType, exception.GetType().FullName);
                activity.SetStatus(ActivityStatusCode.Error, exception.Message);
                activity.AddException(exception);
            }
            else if (outcome != Outcomes.Cancelled)
            {
                activity.SetTag(TagNames.Refusal, exception.GetType().Name);
            }
        }

        return outcome;
    }

    /// <summary>
    /// The hook of a retry policy: one retried transient fault, logged (event 6001) and counted. The call site passes the
    /// attempt that failed (1-based), the most it makes, and the delay before the next.
    /// </summary>
    public void TransientFaultRetried(string operation, Exception fault, int attempt, int maxAttempts, TimeSpan delay)
    {
        ArgumentNullException.ThrowIfNull(fault);
        TransientRetries.Add(1, new KeyValuePair<string, object?>(TagNames.Operation, operation));
        Activity.Current?.AddEvent(new ActivityEvent("agent_orchestration.retry", tags: new ActivityTagsCollection
        {
            [TagNames.Attempt] = attempt,
            [TagNames.ErrorType] = fault.GetType().FullName,
        }));
        OrchestrationLog.TransientFaultRetried(Faults, operation, fault, attempt, maxAttempts, delay);
    }

    /// <summary>The hook of a retry policy that gives up: logged (event 6002).</summary>
    public void TransientFaultExhausted(string operation, Exception fault, int attempts)
    {
        ArgumentNullException.ThrowIfNull(fault);
        OrchestrationLog.TransientFaultExhausted(Faults, operation, attempts, fault);
    }

    public void Dispose()
    {
        if (ownsMeter)
        {
            meter.Dispose();
        }
    }
}
