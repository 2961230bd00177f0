using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using AgentOrchestration.Data.Diagnostics;
using Microsoft.Extensions.Logging;

namespace AgentOrchestration.Data.Tests.Diagnostics;

/// <summary>One log record as a logger received it.</summary>
public sealed record CapturedLog(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception);

/// <summary>A logger provider that keeps every record at every level, for asserting event ids and levels.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> records = new();

    public IReadOnlyList<CapturedLog> Records => [.. records];

    /// <summary>The library's records (its categories), in order.</summary>
    public IReadOnlyList<CapturedLog> Library =>
        [.. records.Where(r => r.Category.StartsWith(AgentOrchestrationDiagnostics.LogCategoryPrefix + ".", StringComparison.Ordinal))];

    public IReadOnlyList<CapturedLog> WithId(int id) => [.. Library.Where(r => r.EventId.Id == id)];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            capture.records.Enqueue(new CapturedLog(category, logLevel, eventId, formatter(state, exception), exception));
    }
}

/// <summary>
/// Collects the spans of one trace: it starts a root activity (made current for the test's flow), listens to the
/// library's source and Npgsql's, and keeps the finished spans whose trace is the root's, so other tests' spans never mix in.
/// </summary>
public sealed class SpanCapture : IDisposable
{
    private readonly ActivityListener listener;
    private readonly Activity root;
    private readonly ConcurrentQueue<Activity> spans = new();

    public SpanCapture()
    {
        listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is AgentOrchestrationDiagnostics.ActivitySourceName or "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.TraceId == root!.TraceId)
                {
                    spans.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        root = new Activity("test").Start();
    }

    public Activity Root => root;

    public IReadOnlyList<Activity> Spans => [.. spans];

    public IReadOnlyList<Activity> Named(string name) => [.. spans.Where(s => s.OperationName == name)];

    public void Dispose()
    {
        root.Stop();
        listener.Dispose();
    }
}

/// <summary>
/// Collects the measurements of the library's meter created by one <see cref="IMeterFactory"/> (one service provider's),
/// so parallel providers never mix in; observable instruments are read on <see cref="Collect"/>.
/// </summary>
public sealed class MetricCapture : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, KeyValuePair<string, object?>[] Tags)> measurements = new();

    public MetricCapture(IMeterFactory factory)
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == AgentOrchestrationDiagnostics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => measurements.Enqueue((i.Name, v, tags.ToArray())));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => measurements.Enqueue((i.Name, v, tags.ToArray())));
        listener.Start();
    }

    public void Collect() => listener.RecordObservableInstruments();

    /// <summary>The sum of an instrument's measurements, optionally only those with a tag of the given value.</summary>
    public double Sum(string instrument, string? tag = null, object? value = null) =>
        Matching(instrument, tag, value).Sum(m => m.Value);

    /// <summary>How many measurements an instrument got (for histograms: how many were recorded).</summary>
    public int Count(string instrument, string? tag = null, object? value = null) => Matching(instrument, tag, value).Count();

    public void Dispose() => listener.Dispose();

    private IEnumerable<(string Instrument, double Value, KeyValuePair<string, object?>[] Tags)> Matching(string instrument, string? tag, object? value) =>
        measurements.Where(m => m.Instrument == instrument && (tag is null || m.Tags.Any(t => t.Key == tag && Equals(t.Value, value))));
}
