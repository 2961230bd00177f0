using System.Diagnostics;
using System.Globalization;
using AgentOrchestration.Data.Tests.Infrastructure;

namespace AgentOrchestration.Data.Tests.WebDashboard;

/// <summary>
/// A measurement, not a test (explicit; figures in docs/dashboards.md): how long after a commit the event reaches a
/// page through the dashboard's server-sent events, on each provider. Run with
/// <c>dotnet test -c Release --filter "FullyQualifiedName~StreamLatencyMeasurement"</c> (and <c>AO_TEST_POSTGRES</c>).
/// </summary>
[Explicit("A measurement: prints commit-to-SSE latencies, asserts nothing about speed.")]
public sealed class StreamLatencyMeasurement(DatabaseProvider provider) : ProviderFixture(provider)
{
    private const int Samples = 60;

    [Test]
    public async Task Commit_to_server_sent_event_latency()
    {
        await using var seed = await DashboardSeed.CreateAsync(Database);
        await using var dashboard = await DashboardProcess.StartAsync(Database);
        await using var stream = await SseConnection.OpenAsync(dashboard.Http, seed.Project.Id);
        var random = new Random(15);
        var latencies = new List<double>();
        for (var i = 0; i < Samples; i++)
        {
            // Spread the commits over the polling period, as real changes are.
            await Task.Delay(random.Next(50, 400));
            var created = await seed.AddTaskAsync($"Latency probe {i}");
            var committed = Stopwatch.StartNew();
            while (true)
            {
                var (_, data) = await stream.NextEventAsync(TimeSpan.FromSeconds(30));
                if (data["entityId"]?.GetValue<Guid>() == created.Id)
                {
                    latencies.Add(committed.Elapsed.TotalMilliseconds);
                    break;
                }
            }
        }

        latencies.Sort();
        double At(double q) => latencies[(int)Math.Min(latencies.Count - 1, Math.Round(q * (latencies.Count - 1)))];
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Provider}: {Samples} commits, commit-to-SSE latency median {At(0.5):0.0} ms, p90 {At(0.9):0.0} ms, max {latencies[^1]:0.0} ms, min {latencies[0]:0.0} ms"));
        Assert.That(latencies, Has.Count.EqualTo(Samples));
    }
}
