using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Cli;

/// <summary>
/// What the CLI and MCP tests start from, written through the library into the one project <c>agents init</c> made:
/// the agent <c>coder</c>, one task it can claim, its implementing session <c>impl</c> and a reviewing session
/// <c>review</c> (the names the tests pass on the command line); every other value comes from the factories.
/// </summary>
public sealed record CliSeed(Project Project, AgentProfile Coder, Guid TaskId)
{
    public static async Task<CliSeed> CreateAsync(IServiceProvider scope)
    {
        var project = await scope.GetRequiredService<AgentOrchestrationDbContext>().Projects.SingleAsync();
        var coder = await scope.GetRequiredService<IAgentRegistry>().RegisterAsync(Fakes.Factory.Agent(a =>
        {
            a.Slug = "coder";
            a.Capabilities = Fakes.AllCapabilities();
        }));
        var task = await scope.GetRequiredService<IWorkItemService>().CreateWorkItemAsync(Fakes.Factory.Task(project.Id));
        var sessions = scope.GetRequiredService<ISessionService>();
        await sessions.StartAsync(Fakes.Factory.Session(project.Id, coder.Id) with { SessionId = "impl" });
        await sessions.StartAsync(Fakes.Factory.Session(project.Id, agentType: SessionAgentType.Qa) with { SessionId = "review" });
        return new CliSeed(project, coder, task.Id);
    }
}
