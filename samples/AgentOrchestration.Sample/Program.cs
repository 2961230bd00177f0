using AgentOrchestration.Data;
using AgentOrchestration.Sample;
using AgentOrchestration.Sample.Console;
using AgentOrchestration.Sample.Scenario;

SampleOptions options;
try
{
    options = SampleOptions.Parse(args);
}
catch (FormatException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine("Run with --help to see every option.");
    return 2;
}

if (options.Help)
{
    Console.WriteLine(SampleOptions.Usage);
    return 0;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

await using var host = await SampleHost.StartAsync(options, stop.Token);
if (options.DashboardOnly)
{
    await new DashboardView(host, options.Plain || Console.IsOutputRedirected).WatchAsync(projectId: null, scenario: null, stop.Token);
    return 0;
}

try
{
    var report = await new ScenarioRunner(host, options).RunAsync(stop.Token);
    report.Print(Console.Out);
    return report.Consistent ? 0 : 1;
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.Error.WriteLine("Stopped before the scenario finished.");
    return 1;
}
catch (Exception e) when (e is AgentOrchestrationException or AgentOrchestrationTransientException or TimeoutException or OperationCanceledException)
{
    // The library's refusals name what went wrong; the scenario did not finish.
    Console.Error.WriteLine($"error: the scenario failed: {e}");
    return 1;
}
