using System.Net.ServerSentEvents;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace AgentOrchestration.Data.Tests.WebDashboard;

/// <summary>A test's connection to <c>/api/stream</c>: the messages as they arrive, parsed by the BCL's SSE parser.</summary>
public sealed class SseConnection : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Channel<SseItem<string>> items = Channel.CreateUnbounded<SseItem<string>>();
    private readonly HttpResponseMessage response;
    private readonly Task pump;

    private SseConnection(HttpResponseMessage response)
    {
        this.response = response;
        pump = PumpAsync();
    }

    public static async Task<SseConnection> OpenAsync(HttpClient http, Guid projectId, long? after = null, long? lastEventId = null)
    {
        var query = $"/api/stream?project={projectId}" + (after is { } a ? $"&after={a}" : string.Empty);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(query, UriKind.Relative));
        if (lastEventId is { } id)
        {
            request.Headers.Add("Last-Event-ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"), await DescribeAsync(response));
        var stream = new SseConnection(response);

        // The first message (a keep-alive) is sent once the page's hub subscription exists: from here on nothing is missed.
        var first = await stream.NextAsync(TimeSpan.FromSeconds(30));
        Assert.That(first.EventType, Is.EqualTo("keepalive"));
        return stream;
    }

    /// <summary>The next message, whatever its type.</summary>
    public async Task<SseItem<string>> NextAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await items.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"No message on the stream within {timeout}.");
            throw;
        }
        catch (ChannelClosedException)
        {
            Assert.Fail("The stream ended.");
            throw;
        }
    }

    /// <summary>The next log event (skipping snapshots and keep-alives), with its id and parsed data.</summary>
    public async Task<(long Id, JsonNode Data)> NextEventAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                Assert.Fail($"No event on the stream within {timeout}.");
            }

            var item = await NextAsync(left);
            if (item.EventType == "orchestration")
            {
                var data = JsonNode.Parse(item.Data)!;
                Assert.That(item.EventId, Is.EqualTo(data["sequence"]!.ToString()), "the SSE id is the event's sequence");
                return (long.Parse(item.EventId!, System.Globalization.CultureInfo.InvariantCulture), data);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        response.Dispose();
        try
        {
            await pump;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or HttpRequestException)
        {
        }

        stop.Dispose();
    }

    private static async Task<string> DescribeAsync(HttpResponseMessage response) =>
        $"{(int)response.StatusCode}: {(response.Content.Headers.ContentType?.MediaType == "text/event-stream" ? string.Empty : await response.Content.ReadAsStringAsync())}";

    private async Task PumpAsync()
    {
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(stop.Token);
            await foreach (var item in SseParser.Create(body).EnumerateAsync(stop.Token))
            {
                await items.Writer.WriteAsync(item, stop.Token);
            }
        }
        finally
        {
            items.Writer.TryComplete();
        }
    }
}
