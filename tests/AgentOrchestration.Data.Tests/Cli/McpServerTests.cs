using System.Text.Json;
using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace AgentOrchestration.Data.Tests.Cli;

/// <summary><c>agents mcp</c> as an agent's MCP client sees it: the SDK's client over stdio to the real process.</summary>
public sealed class McpServerTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    [Test]
    public async Task A_client_lists_the_tools_and_claims_locks_and_completes_through_them_with_refusals_as_tool_errors()
    {
        var cli = await CliProcess.CreateAsync(Database);
        try
        {
            Assert.That((await cli.RunAsync("init", "--project", "mcp")).ExitCode, Is.Zero);
            Guid item;
            await using (var services = OrchestrationServices.Create(Database))
            await using (var scope = services.CreateAsyncScope())
            {
                item = (await CliSeed.CreateAsync(scope.ServiceProvider)).TaskId;
            }

            var errors = new List<string>();
            var transport = new StdioClientTransport(new StdioClientTransportOptions
            {
                Name = "agents",
                Command = "dotnet",
                Arguments = [CliProcess.Dll, "mcp", "--agent", "coder", "--session", "impl"],
                WorkingDirectory = cli.Folder,
                EnvironmentVariables = cli.Environment.ToDictionary(e => e.Key, e => (string?)e.Value),
                StandardErrorLines = line => { lock (errors) { errors.Add(line); } },
            });
            // The client probes with server/discover and, by default, gives up on it after 5 s and falls back to initialize;
            // a server still starting on a loaded machine then logs the cancelled request. Bounded by the whole connect instead.
            await using var client = await McpClient.CreateAsync(transport, new McpClientOptions { DiscoverProbeTimeout = Timeout.InfiniteTimeSpan });

            var tools = await client.ListToolsAsync();
            Assert.That(tools.Select(t => t.Name), Is.EquivalentTo(new[]
            {
                "claim_next", "renew_lease", "complete_work", "release_work", "acquire_locks", "release_locks", "check_locks", "heartbeat", "record_qa", "ready_work", "read_events",
            }));
            Assert.That(tools.Single(t => t.Name == "acquire_locks").JsonSchema.GetProperty("required").EnumerateArray().Select(r => r.GetString()), Is.EqualTo(new[] { "paths" }));

            Assert.That(Json(await CallAsync(client, "ready_work")).GetProperty("work_items")[0].GetProperty("id").GetGuid(), Is.EqualTo(item));
            var claimed = Json(await CallAsync(client, "claim_next", new() { ["lease_seconds"] = 600 })).GetProperty("claimed")[0];
            var lease = claimed.GetProperty("lease").GetString()!;
            Assert.That((claimed.GetProperty("work_item_id").GetGuid(), claimed.GetProperty("fencing_token").GetInt64()), Is.EqualTo((item, 1L)));

            var locked = Json(await CallAsync(client, "acquire_locks", new() { ["paths"] = new[] { "src/**" } }));
            Assert.That(locked.GetProperty("locks")[0].GetProperty("session_id").GetString(), Is.EqualTo("impl"));
            var refused = await client.CallToolAsync("acquire_locks", new Dictionary<string, object?> { ["paths"] = new[] { "src/a.cs" }, ["session"] = "review" });
            Assert.That(refused.IsError, Is.True);
            Assert.That(Text(refused), Does.StartWith("conflict: refused, nothing was locked: 'src/a.cs' is locked exclusive as 'src/**' by session 'impl' until "));
            var check = Json(await CallAsync(client, "check_locks", new() { ["paths"] = new[] { "src/a.cs" }, ["session"] = "review" }));
            Assert.That((check.GetProperty("writable").GetBoolean(), check.GetProperty("paths")[0].GetProperty("blocking")[0].GetProperty("holder_session_id").GetString()), Is.EqualTo((false, "impl")));
            Assert.That(Json(await CallAsync(client, "heartbeat", new() { ["current_action"] = "coding" })).GetProperty("current_action").GetString(), Is.EqualTo("coding"));
            Assert.That(Json(await CallAsync(client, "renew_lease", new() { ["lease"] = lease, ["lease_seconds"] = 900 })).GetProperty("lease").GetString(), Is.EqualTo(lease));

            var gated = await client.CallToolAsync("complete_work", new Dictionary<string, object?> { ["lease"] = lease });
            Assert.That((gated.IsError, Text(gated)), Is.EqualTo((true, Text(gated))));
            Assert.That(Text(gated), Does.StartWith("qa_gate: ").And.Contain("code_review (no result)"));
            var bad = await client.CallToolAsync("renew_lease", new Dictionary<string, object?> { ["lease"] = "nonsense" });
            Assert.That((bad.IsError, Text(bad)), Is.EqualTo((true, "invalid_input: lease 'nonsense' is malformed; pass it as 'claim' printed it: WORK_ITEM_ID:ASSIGNMENT_ID:FENCING_TOKEN")));

            foreach (var type in new[] { "code_review", "success_criteria" })
            {
                var qa = Json(await CallAsync(client, "record_qa", new() { ["work_item_id"] = item.ToString(), ["qa_type"] = type, ["status"] = "pass", ["session"] = "review" }));
                Assert.That(qa.GetProperty("qa_type").GetString(), Is.EqualTo(type));
            }

            Assert.That(Json(await CallAsync(client, "complete_work", new() { ["lease"] = lease })).GetProperty("status").GetString(), Is.EqualTo("done"));
            Assert.That(Json(await CallAsync(client, "release_locks")).GetProperty("locks").GetArrayLength(), Is.EqualTo(1));
            var events = Json(await CallAsync(client, "read_events", new() { ["after"] = 0, ["take"] = 500 })).GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
            Assert.That(events, Does.Contain(OrchestrationEventTypes.WorkItemCompleted).And.Contain(OrchestrationEventTypes.FileLockReleased));

            await using var db = CreateContext();
            Assert.That(await db.WorkItems.Where(w => w.Id == item).Select(w => w.Status).SingleAsync(), Is.EqualTo(WorkItemStatus.Done));
            Assert.That(await RawStdoutAsync(cli), Has.All.StartWith("{\"").And.All.Contain("\"jsonrpc\":\"2.0\""), "stdout carries the JSON-RPC stream only");
            lock (errors)
            {
                Assert.That(errors, Is.Empty, "the server logs nothing at its default level");
            }
        }
        finally
        {
            cli.Delete();
        }
    }

    /// <summary>Speaks the protocol by hand to the server and returns every line it wrote to stdout.</summary>
    private static async Task<List<string>> RawStdoutAsync(CliProcess cli)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cli.Folder };
        start.ArgumentList.Add(CliProcess.Dll);
        start.ArgumentList.Add("mcp");
        cli.Configure(start);
        using var process = System.Diagnostics.Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteLineAsync("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}""");
        await process.StandardInput.WriteLineAsync("""{"jsonrpc":"2.0","method":"notifications/initialized"}""");
        await process.StandardInput.WriteLineAsync("""{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"claim_next","arguments":{"agent":"ghost"}}}""");
        await process.StandardInput.FlushAsync();
        var lines = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (lines.Count < 2 && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            lines.Add(line);
        }

        process.StandardInput.Close();
        lines.AddRange((await process.StandardOutput.ReadToEndAsync(timeout.Token)).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        await process.WaitForExitAsync(timeout.Token);
        Assert.That(lines.Last(l => l.Contains("\"id\":2", StringComparison.Ordinal)), Does.Contain("not_found: No agent ").And.Contain("\"isError\":true"), await error);
        return lines;
    }

    private static async Task<CallToolResult> CallAsync(McpClient client, string tool, Dictionary<string, object?>? arguments = null)
    {
        var result = await client.CallToolAsync(tool, arguments ?? []);
        Assert.That(result.IsError, Is.Not.True, $"{tool}: {Text(result)}");
        return result;
    }

    private static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(c => c.Text));

    private static JsonElement Json(CallToolResult result) => JsonDocument.Parse(Text(result)).RootElement;
}
