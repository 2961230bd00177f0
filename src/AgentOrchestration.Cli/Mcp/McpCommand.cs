using System.CommandLine;
using System.Reflection;
using AgentOrchestration.Cli.Hosting;
using AgentOrchestration.Cli.Mcp;
using AgentOrchestration.Cli.Output;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;

namespace AgentOrchestration.Cli.Commands;

/// <summary><c>agents mcp</c>: the MCP server over stdio. stdout carries only the JSON-RPC stream; every log goes to stderr.</summary>
internal static class McpCommand
{
    public static Command Create()
    {
        var agent = new Option<string?>("--agent") { Description = "Default agent for claim_next (default: AGENTS_AGENT)" };
        var session = new Option<string?>("--session") { Description = "Default session for locks, heartbeat and QA (default: AGENTS_SESSION)" };
        var command = new Command("mcp", "Run an MCP server over stdio (for agents' MCP clients)") { agent, session };
        command.SetAction(async (parse, ct) =>
        {
            Orchestration orchestration;
            try
            {
                orchestration = await Orchestration.OpenAsync(Cli.Settings(parse, parse.GetValue(agent), parse.GetValue(session)), ct);
            }
            catch (Exception exception)
            {
                // Not on stdout: the client reads it as JSON-RPC.
                var refusal = Refusal.From(exception);
                await Console.Error.WriteLineAsync($"agents mcp: {refusal.Kind.Replace('_', ' ')}: {refusal.Message}");
                return refusal.ExitCode;
            }

            await using (orchestration)
            {
                var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
                builder.Logging.ClearProviders();
                builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
                builder.Logging.SetMinimumLevel(LogLevel.Warning);
                builder.Services.AddSingleton(orchestration);
                builder.Services
                    .AddMcpServer(o => o.ServerInfo = new Implementation { Name = "agents", Version = Version() })
                    .WithStdioServerTransport()
                    .WithTools<AgentTools>();
                using var host = builder.Build();
                await host.RunAsync(ct);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Version() =>
        typeof(McpCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
