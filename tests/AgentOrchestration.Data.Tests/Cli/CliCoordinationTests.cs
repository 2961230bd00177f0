using System.Diagnostics;
using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Cli;

/// <summary>The guarantees agents get through the tool: concurrent claims from separate processes, lock refusals naming the holder, the pre-commit hook.</summary>
public sealed class CliCoordinationTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private CliProcess cli = null!;
    private ServiceProvider services = null!;
    private Project project = null!;

    [SetUp]
    public async Task StartAsync()
    {
        cli = await CliProcess.CreateAsync(Database);
        Assert.That((await cli.RunAsync("init", "--project", "race")).ExitCode, Is.Zero);
        services = OrchestrationServices.Create(Database);
        await using var db = CreateContext();
        project = await db.Projects.SingleAsync();
    }

    [TearDown]
    public async Task StopAsync()
    {
        await services.DisposeAsync();
        cli.Delete();
    }

    [Test]
    public async Task Eight_concurrent_claim_processes_take_each_item_exactly_once()
    {
        const int Items = 20;
        await using (var scope = services.CreateAsyncScope())
        {
            var registry = scope.ServiceProvider.GetRequiredService<IAgentRegistry>();
            for (var i = 0; i < 8; i++)
            {
                var slug = $"agent-{i}";
                await registry.RegisterAsync(Fakes.Factory.Agent(a =>
                {
                    a.Slug = slug;
                    a.Capabilities = Fakes.AllCapabilities();
                    a.MaxConcurrentTasks = 10;
                }));
            }

            var work = scope.ServiceProvider.GetRequiredService<IWorkItemService>();
            for (var i = 0; i < Items; i++)
            {
                var priority = 1 + (i % 5);
                await work.CreateWorkItemAsync(Fakes.Factory.Task(project.Id, configure: t =>
                {
                    t.Priority = priority;
                    t.RequiredCapabilities = [];
                }));
            }
        }

        // Eight processes at once, each taking up to three: more capacity than items, so they race for the last ones.
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => cli.RunAsync("claim", "--agent", $"agent-{i}", "--batch", "3", "--json")));

        var claims = new List<(string Agent, Guid Item, long Token)>();
        for (var i = 0; i < results.Length; i++)
        {
            Assert.That(results[i].ExitCode, Is.EqualTo(0).Or.EqualTo(7), results[i].ToString());
            claims.AddRange(results[i].Json.GetProperty("claimed").EnumerateArray()
                .Select(c => ($"agent-{i}", c.GetProperty("work_item_id").GetGuid(), c.GetProperty("fencing_token").GetInt64())));
        }

        Assert.That(claims.Select(c => c.Item).Distinct().Count(), Is.EqualTo(claims.Count), "no item was claimed twice");
        Assert.That(claims, Has.Count.EqualTo(Items), "every item was claimed");
        await using var db = CreateContext();
        var held = await db.WorkItems.Select(w => new { w.Id, w.AssignedAgent!.Slug }).ToListAsync();
        Assert.That(held.Select(h => (h.Id, h.Slug)), Is.EquivalentTo(claims.Select(c => (c.Item, c.Agent))), "the database agrees with what each process printed");
        Assert.That(await db.TaskAssignments.CountAsync(), Is.EqualTo(Items), "one assignment per item, none left over from a lost race");
    }

    [Test]
    public async Task A_second_session_is_refused_an_overlapping_lock_with_the_holder_named_and_the_pre_commit_hook_refuses_its_commit()
    {
        await using (var scope = services.CreateAsyncScope())
        {
            var sessions = scope.ServiceProvider.GetRequiredService<ISessionService>();
            await sessions.StartAsync(Fakes.Factory.Session(project.Id) with { SessionId = "holder" });
            await sessions.StartAsync(Fakes.Factory.Session(project.Id) with { SessionId = "other" });
        }

        Assert.That((await cli.RunAsync("lock", "acquire", "-s", "holder", "src/**", "--ttl", "1h")).ExitCode, Is.Zero);
        var before = await CliProcess.SnapshotAsync(Database);
        var refused = await cli.RunAsync("lock", "acquire", "-s", "other", "docs/a.md", "src/app/main.cs");
        Assert.That(refused.ExitCode, Is.EqualTo(4), refused.ToString());
        Assert.That(refused.Error.Split('\n'), Has.Length.EqualTo(1));
        Assert.That(refused.Error, Does.StartWith("agents: conflict: refused, nothing was locked: 'src/app/main.cs' is locked exclusive as 'src/**' by session 'holder' until 20"));
        Assert.That(await CliProcess.SnapshotAsync(Database), Is.EqualTo(before), "all or nothing: docs/a.md was not locked either");

        // A real repository with the documented hook; the agent's session comes from AGENTS_SESSION.
        var hook = Path.Combine(cli.Folder, ".git", "hooks", "pre-commit");
        File.WriteAllText(hook, $"#!/bin/sh\nexec dotnet '{CliProcess.Dll}' lock check --staged\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        Directory.CreateDirectory(Path.Combine(cli.Folder, "src", "app"));
        File.WriteAllText(Path.Combine(cli.Folder, "src", "app", "main.cs"), "class Main {}\n");
        File.WriteAllText(Path.Combine(cli.Folder, "README.md"), "hello\n");
        await CliProcess.GitAsync(cli.Folder, "add", "src/app/main.cs", "README.md");

        var commit = await CommitAsync("other");
        Assert.That(commit.ExitCode, Is.Not.Zero, "the hook refused the commit");
        Assert.That(commit.Error, Does.Contain("agents: conflict: 1 locked path(s) may not be written: 'src/app/main.cs' is locked exclusive as 'src/**' by session 'holder' until"));
        Assert.That(await GitExitCodeAsync("rev-parse", "--verify", "HEAD"), Is.Not.Zero, "no commit was made");

        var own = await CommitAsync("holder");
        Assert.That(own.ExitCode, Is.Zero, "the holder's own commit passes: " + own.Error);
        Assert.That(await GitExitCodeAsync("rev-parse", "--verify", "HEAD"), Is.Zero);
    }

    private async Task<(int ExitCode, string Error)> CommitAsync(string session)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cli.Folder };
        foreach (var arg in new[] { "-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "change" })
        {
            start.ArgumentList.Add(arg);
        }

        cli.Configure(start, new Dictionary<string, string> { ["AGENTS_SESSION"] = session });
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await error);
    }

    private async Task<int> GitExitCodeAsync(params string[] args)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cli.Folder };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        await process.StandardOutput.ReadToEndAsync();
        await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode;
    }
}
