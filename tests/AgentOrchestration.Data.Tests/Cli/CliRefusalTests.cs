using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Backlog;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Cli;

/// <summary>Bad input to every command: its documented exit code, one line saying why (never a stack trace), and the database unchanged.</summary>
public sealed class CliRefusalTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    [Test]
    public async Task Bad_input_to_each_command_gives_its_exit_code_and_one_line_and_changes_nothing()
    {
        var cli = await CliProcess.CreateAsync(Database);
        try
        {
            Assert.That((await cli.RunAsync("init", "--project", "shop")).ExitCode, Is.Zero);
            Guid item, backlog;
            WorkLease lease;
            await using (var services = OrchestrationServices.Create(Database))
            await using (var scope = services.CreateAsyncScope())
            {
                var seed = await CliSeed.CreateAsync(scope.ServiceProvider);
                var (project, agent) = (seed.Project, seed.Coder);
                item = seed.TaskId;
                var sessions = scope.ServiceProvider.GetRequiredService<ISessionService>();
                await sessions.StartAsync(Fakes.Factory.Session(project.Id, agentType: SessionAgentType.Qa) with { SessionId = "gone" });
                await sessions.EndAsync("gone", SessionStatus.Completed);
                lease = (await scope.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimNextAsync(agent.Id, project.Id, Fakes.Factory.Claim("impl")))!.Lease;
                await scope.ServiceProvider.GetRequiredService<IFileLockService>().AcquireAsync("impl", ["src/**"], FileLockType.Exclusive, TimeSpan.FromHours(1));
                backlog = (await scope.ServiceProvider.GetRequiredService<IBacklogService>().SubmitAsync(Fakes.Factory.BacklogSubmission(project.Id))).Id;
            }

            var held = $"{lease.WorkItemId}:{lease.AssignmentId}:{lease.FencingToken}";
            var stale = $"{lease.WorkItemId}:{lease.AssignmentId}:{lease.FencingToken + 1}";
            var unknown = Guid.NewGuid().ToString();
            string[][] invalid =
            [
                ["nonsense"], ["init", "--bogus"], ["--provider", "oracle", "work", "list"],
                ["agent", "register", "Bad Slug!"], ["agent", "register", "ok", "-c", "x:y:z"],
                ["work", "add", " "], ["work", "add", "t", "--type", "saga"], ["work", "add", "t", "--priority", "9"], ["work", "show", "not-an-id"],
                ["work", "list", "--take", "0"], ["work", "list", "--status", "sleeping"],
                ["claim", "--agent", "coder", "--lease", "3x"], ["claim", "--agent", "coder", "--batch", "0"], ["claim", "--agent", "coder", "--lease", "25h"], ["claim"],
                ["renew", "not-a-lease"], ["complete", "1:2:3"], ["release"],
                ["session", "start", "--agent", "coder", "--type", "wizard"], ["session", "heartbeat"], ["session", "end", "-s", "impl", "--outcome", "paused"],
                ["lock", "acquire", "-s", "review"], ["lock", "acquire", "-s", "review", "a", "--ttl", "never"], ["lock", "release", "-s", "review"], ["lock", "check", "-s", "review", "../outside"],
                ["qa", "record", item.ToString(), "-s", "review", "--type", "vibes", "--status", "pass"], ["qa", "record", item.ToString(), "-s", "review", "--type", "code_review"],
                ["qa", "record", item.ToString(), "-s", "review", "--type", "code_review", "--status", "fail"],
                ["backlog", "add", "t"], ["backlog", "analyze", backlog.ToString(), "--agent", "p", "--ready", "--block", "x"], ["backlog", "add", "t", "--description", "d", "--criteria", "c", "--complexity", "huge"],
                ["events", "--after", "-1"], ["events", "--take", "0"], ["status", "--stale", "0m"],
            ];
            string[][] notFound =
            [
                ["agent", "show", "ghost"], ["work", "show", unknown], ["work", "add", "t", "--depends-on", unknown], ["work", "deps", unknown],
                ["claim", "--agent", "ghost"], ["session", "heartbeat", "-s", "ghost"], ["lock", "acquire", "-s", "ghost", "a"],
                ["backlog", "analyze", unknown, "--agent", "p"], ["--project", "elsewhere", "work", "list"],
            ];
            string[][] conflict =
            [
                ["agent", "register", "coder"], ["lock", "acquire", "-s", "review", "src/a.cs"], ["lock", "check", "-s", "review", "src/a.cs"],
                ["session", "end", "-s", "gone"], ["session", "heartbeat", "-s", "gone"], ["lock", "acquire", "-s", "gone", "x"],
                ["backlog", "promote", backlog.ToString(), "--agent", "p"], ["work", "deps", item.ToString(), "--add", item.ToString()],
            ];
            string[][] leaseLost = [["complete", stale], ["renew", stale], ["release", stale]];
            string[][] qaGate = [["complete", held], ["qa", "record", item.ToString(), "-s", "impl", "--type", "code_review", "--status", "pass"]];

            string[][] fault = [["--provider", "postgres", "--connection", "Host=127.0.0.1;Port=1;Username=x;Database=x;Timeout=3", "work", "list"]];

            var cases = fault.Select(a => (Args: a, Code: 1)).Concat(invalid.Select(a => (Args: a, Code: 2))).Concat(notFound.Select(a => (Args: a, Code: 3))).Concat(conflict.Select(a => (Args: a, Code: 4)))
                .Concat(leaseLost.Select(a => (Args: a, Code: 5))).Concat(qaGate.Select(a => (Args: a, Code: 6))).ToList();
            var before = await CliProcess.SnapshotAsync(Database);
            using var gate = new SemaphoreSlim(4);
            var results = await Task.WhenAll(cases.Select(async c =>
            {
                await gate.WaitAsync();
                try
                {
                    return (c.Args, c.Code, Result: await cli.RunAsync(c.Args));
                }
                finally
                {
                    gate.Release();
                }
            }));

            Assert.Multiple(() =>
            {
                foreach (var (args, code, result) in results)
                {
                    var command = string.Join(' ', args);
                    Assert.That(result.ExitCode, Is.EqualTo(code), $"agents {command}: {result}");
                    Assert.That(result.Output, Is.Empty, $"agents {command} prints nothing on stdout when refused");
                    Assert.That(result.Error.Split('\n'), Has.Length.EqualTo(1), $"agents {command}: one line: {result.Error}");
                    Assert.That(result.Error, Does.StartWith("agents: ").And.Not.Contain("   at "), $"agents {command}");
                }
            });

            // With --json the refusal is the one document, on stdout.
            var json = await cli.RunAsync("complete", stale, "--json");
            Assert.That((json.ExitCode, json.Json.GetProperty("error").GetProperty("kind").GetString(), json.Json.GetProperty("error").GetProperty("exit_code").GetInt32()), Is.EqualTo((5, "lease_lost", 5)));
            Assert.That(json.Json.GetProperty("error").GetProperty("message").GetString(), Does.Contain(lease.WorkItemId.ToString()));
            Assert.That(await CliProcess.SnapshotAsync(Database), Is.EqualTo(before), "no refused command changed the database");
        }
        finally
        {
            cli.Delete();
        }
    }
}
