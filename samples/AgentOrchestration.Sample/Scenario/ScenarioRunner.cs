using System.Collections.Concurrent;
using System.Globalization;
using AgentOrchestration.Data;
using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Backlog;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Delegation;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Sprints;
using AgentOrchestration.Data.Work;
using AgentOrchestration.Sample.Console;
using AgentOrchestration.Sample.Data;

namespace AgentOrchestration.Sample.Scenario;

/// <summary>
/// The scenario: a prime agent analyses the backlog and promotes it to stories, a sprint of tasks with dependencies
/// and required capabilities starts, implementers claim, lock, heartbeat and finish work in parallel, one crashes and
/// the reaper returns its work, QA fails one task and passes it after remediation, the sprint completes.
/// </summary>
internal sealed class ScenarioRunner(SampleHost host, SampleOptions options)
{
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(5);

    private readonly string run = DateTimeOffset.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
    private readonly ConcurrentDictionary<string, int> completedBy = new(StringComparer.Ordinal);
    private readonly ScenarioProgress progress = new();
    private int qaFailures;
    private string? crashedSession;

    public async Task<ScenarioReport> RunAsync(CancellationToken cancellationToken)
    {
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        giveUp.CancelAfter(GiveUpAfter);
        var ct = giveUp.Token;

        var project = await host.WithAsync<IWorkItemService, Project>(w => w.CreateProjectAsync($"sample-{run}", $"Sample run {run}", cancellationToken: ct));
        var scenario = await host.WithAsync<SampleDbContext, ScenarioRun>(async db =>
        {
            var row = new ScenarioRun
            {
                ProjectId = project.Id, Provider = options.PostgreSql ? "postgres" : "sqlite", Agents = options.Agents, Tasks = options.Tasks, StartedAt = DateTime.UtcNow,
            };
            db.Add(row);
            await db.SaveChangesAsync(ct);
            return row;
        });

        using var dashboardStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var dashboard = new DashboardView(host, options.Plain || System.Console.IsOutputRedirected)
            .WatchAsync(project.Id, progress, dashboardStop.Token);

        var team = await RegisterTeamAsync(ct);
        var sprint = await PlanSprintFromBacklogAsync(project, team.Prime, ct);
        var qa = await host.WithAsync<ISessionService, AgentSession>(s => s.StartAsync(new SessionStart(project.Id, SessionAgentType.Qa) { AgentId = team.Qa.Id }, ct));
        using var qaAlive = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var qaHeartbeat = KeepAliveAsync(qa.SessionId, qaAlive.Token);
        var failOnce = sprint.Tasks[sprint.Tasks.Count / 2];

        using var reaperStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reaper = ReapLoopAsync(reaperStop.Token);
        var crasher = options.Agents > 1 ? team.Implementers[^1] : null;
        await Task.WhenAll(team.Implementers.Select(agent => Task.Run(
            () => ImplementAsync(project, agent, crashes: agent == crasher, qa.SessionId, failOnce, ct), ct)));
        await reaperStop.CancelAsync();
        await reaper;
        await qaAlive.CancelAsync();
        await qaHeartbeat;

        // Every task is done: the prime agent, who approved the stories, closes them, then the sprint.
        foreach (var story in sprint.Stories)
        {
            var options = new DelegationOptions { Actor = team.Prime.Slug, Note = "all tasks done" };
            await host.WithAsync<IDelegationService, WorkItem>(d => d.AssignAsync(story.Id, Assignee.Agent(team.Prime.Id), options, ct));
            await host.WithAsync<IDelegationService, WorkItem>(d => d.StartAsync(story.Id, options, ct));
            await host.WithAsync<IDelegationService, WorkItem>(d => d.CompleteAsync(story.Id, options, ct));
        }

        var completion = await host.WithAsync<ISprintService, SprintCompletion>(s => s.CompleteAsync(sprint.Sprint.Id, team.Prime.Slug, ct));
        await host.WithAsync<ISessionService, AgentSession>(s => s.EndAsync(qa.SessionId, SessionStatus.Completed, "sprint reviewed", ct));
        progress.Finish();
        await Task.Delay(TimeSpan.FromMilliseconds(600), ct); // let the dashboard show the last events
        await dashboardStop.CancelAsync();
        await dashboard;

        var report = await ScenarioReport.ReadAsync(host, project, sprint.Sprint, completion, completedBy, qaFailures, crashedSession, ct);
        await host.WithAsync<SampleDbContext, int>(async db =>
        {
            db.Attach(scenario);
            scenario.FinishedAt = DateTime.UtcNow;
            scenario.Outcome = report.Consistent ? "consistent" : string.Join("; ", report.Problems);
            return await db.SaveChangesAsync(ct);
        });
        return report with { Database = host.Database };
    }

    private async Task<Team> RegisterTeamAsync(CancellationToken ct)
    {
        Task<AgentProfile> Register(string slug, string type, string mode, params string[] capabilities) =>
            host.WithAsync<IAgentRegistry, AgentProfile>(r => r.RegisterAsync(new AgentRegistration
            {
                Name = slug, Slug = $"{slug}-{run}", Type = type, Mode = mode,
                Capabilities = [.. capabilities.Select(c => new CapabilityEntry { Name = c, Proficiency = 4 })],
            }, ct));

        var prime = await Register("prime", "prime", "planning", "analysis", "review");
        var qa = await Register("qa", "qa-engineer", "review", "review", "testing");
        var implementers = new List<AgentProfile>();
        for (var i = 1; i <= options.Agents; i++)
        {
            // The first implementer can do everything, so any team size can finish every task.
            string[] skills = i == 1 ? ["csharp", "sql", "docs"] : i % 2 == 0 ? ["csharp", "sql"] : ["csharp", "docs"];
            implementers.Add(await Register($"dev-{i}", "backend-engineer", "implementation", skills));
        }

        return new Team(prime, qa, implementers);
    }

    private async Task<SprintPlanResult> PlanSprintFromBacklogAsync(Project project, AgentProfile prime, CancellationToken ct)
    {
        var sprint = await host.WithAsync<ISprintService, Sprint>(s => s.PlanAsync(new SprintPlan(project.Id, "Sprint 1") { Goal = "Ship the claim API and its docs", Actor = prime.Slug }, ct));
        string[] ideas = ["Claim API", "Operator docs"];
        var stories = new List<WorkItem>();
        foreach (var idea in ideas)
        {
            var item = await host.WithAsync<IBacklogService, BacklogItem>(b => b.SubmitAsync(
                new BacklogSubmission(project.Id, idea, $"Deliver the {idea.ToLowerInvariant()}.", $"The {idea.ToLowerInvariant()} is done and reviewed.")
                {
                    Priority = 2, BusinessValue = 8, Complexity = Complexity.Moderate, CreatedBy = "product-owner",
                }, ct));
            await host.WithAsync<IBacklogService, BacklogItem>(b => b.StartAnalysisAsync(item.Id, prime.Slug, ct));
            await host.WithAsync<IBacklogService, BacklogItem>(b => b.RecordAnalysisAsync(item.Id, new BacklogAnalysis(prime.Slug) { PrimeNotes = "Split into tasks; docs last." }, ct));
            await host.WithAsync<IBacklogService, BacklogItem>(b => b.MarkReadyAsync(item.Id, prime.Slug, cancellationToken: ct));
            var story = await host.WithAsync<IBacklogService, WorkItem>(b => b.PromoteAsync(item.Id, new BacklogPromotion(prime.Slug) { SprintId = sprint.Id }, ct));
            stories.Add(await host.WithAsync<IBacklogService, WorkItem>(b => b.ApproveStoryAsync(story.Id, prime.Slug, ct)));
        }

        // Per story: a design task first, parallel work after it, and an integration task that waits for all of them.
        var tasks = new List<WorkItem>();
        for (var s = 0; s < stories.Count; s++)
        {
            var count = options.Tasks / stories.Count + (s < options.Tasks % stories.Count ? 1 : 0);
            var storyTasks = new List<WorkItem>();
            for (var t = 0; t < count; t++)
            {
                var kind = t == 0 ? "Design" : t == count - 1 ? "Integrate" : "Build";
                string[] capabilities = s == 1 && t > 0 ? ["docs"] : t % 3 == 2 ? ["csharp", "sql"] : ["csharp"];
                var story = stories[s];
                storyTasks.Add(await host.WithAsync<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(new NewWorkItem
                {
                    ProjectId = project.Id, Type = WorkItemType.Task, ParentId = story.Id, Title = $"{kind} {story.Title.ToLowerInvariant()} #{t + 1}",
                    SuccessCriteria = "Tests pass and the reviewer signs off.", Priority = t == 0 ? 1 : 3, EstimatedHours = 2 + t % 3,
                    RequiredCapabilities = capabilities,
                }, ct)));
            }

            for (var t = 1; t < storyTasks.Count; t++)
            {
                var waiting = storyTasks[t];
                await host.WithAsync<IWorkItemService>(async w =>
                {
                    await w.AddDependencyAsync(waiting.Id, storyTasks[0].Id, ct);
                    if (t == storyTasks.Count - 1)
                    {
                        foreach (var built in storyTasks.Skip(1).SkipLast(1))
                        {
                            await w.AddDependencyAsync(waiting.Id, built.Id, ct);
                        }
                    }
                });
            }

            tasks.AddRange(storyTasks);
        }

        await host.WithAsync<ISprintService, int>(s => s.AddWorkAsync(sprint.Id, [.. tasks.Select(t => t.Id)], prime.Slug, ct));
        sprint = await host.WithAsync<ISprintService, Sprint>(s => s.StartAsync(sprint.Id, prime.Slug, ct));
        progress.Start(tasks.Count);
        return new SprintPlanResult(sprint, stories, tasks);
    }

    private async Task ImplementAsync(Project project, AgentProfile agent, bool crashes, string reviewer, WorkItem failOnce, CancellationToken ct)
    {
        var session = await host.WithAsync<ISessionService, AgentSession>(s => s.StartAsync(new SessionStart(project.Id, SessionAgentType.Implementation) { AgentId = agent.Id }, ct));
        using var alive = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var heartbeat = KeepAliveAsync(session.SessionId, alive.Token);
        try
        {
            await ImplementInSessionAsync(project, agent, session, crashes, reviewer, failOnce, alive, ct);
        }
        finally
        {
            await alive.CancelAsync();
            await heartbeat;
        }
    }

    private async Task ImplementInSessionAsync(
        Project project, AgentProfile agent, AgentSession session, bool crashes, string reviewer, WorkItem failOnce, CancellationTokenSource alive, CancellationToken ct)
    {
        var random = new Random(agent.Slug.GetHashCode(StringComparison.Ordinal));
        while (!progress.AllDone)
        {
            ct.ThrowIfCancellationRequested();
            var claimed = await host.WithAsync<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(agent.Id, project.Id, new ClaimOptions { SessionId = session.SessionId, LeaseDuration = TimeSpan.FromMinutes(1) }, ct));
            if (claimed is null)
            {
                // Nothing ready for this agent yet: dependencies, QA or a crashed colleague's work hold it back.
                await host.WithAsync<ISessionService, AgentSession>(s => s.HeartbeatAsync(session.SessionId, "waiting for ready work", cancellationToken: ct));
                await Task.Delay(150, ct);
                continue;
            }

            string[] files = [$"src/{Slug(claimed.Title)}.cs", $"tests/{Slug(claimed.Title)}Tests.cs"];
            await LockAsync(session.SessionId, files, ct);
            await WorkAsync(session.SessionId, $"implementing {claimed.Title}", random, ct);
            if (crashes)
            {
                // The process "dies": no release, no heartbeat. The reaper notices the silence and returns the work.
                crashedSession = session.SessionId;
                await alive.CancelAsync();
                return;
            }

            while (!await ReviewAsync(claimed, reviewer, failOnce, ct))
            {
                await WorkAsync(session.SessionId, $"remediating {claimed.Title}", random, ct);
            }

            await host.WithAsync<IWorkClaimer>(c => c.CompleteAsync(claimed.Lease, ct));
            await host.WithAsync<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.ReleaseAsync(session.SessionId, files, ct));
            completedBy.AddOrUpdate(agent.Slug, 1, (_, n) => n + 1);
            progress.Completed();
        }

        await host.WithAsync<ISessionService, AgentSession>(s => s.EndAsync(session.SessionId, SessionStatus.Completed, "sprint done", ct));
    }

    private async Task LockAsync(string sessionId, string[] files, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                await host.WithAsync<IFileLockService, IReadOnlyList<FileLockInfo>>(l => l.AcquireAsync(sessionId, files, FileLockType.Exclusive, TimeSpan.FromMinutes(5), ct));
                return;
            }
            catch (FileLockConflictException)
            {
                await Task.Delay(100, ct); // someone else still holds a file; nothing was locked
            }
        }
    }

    private async Task WorkAsync(string sessionId, string action, Random random, CancellationToken ct)
    {
        for (var step = 0; step < 3; step++)
        {
            await host.WithAsync<ISessionService, AgentSession>(s => s.HeartbeatAsync(sessionId, step == 0 ? action : $"{action} ({step + 1}/3)", cancellationToken: ct));
            await Task.Delay(random.Next(40, 160), ct);
        }
    }

    /// <summary>The QA agent reviews a task; one chosen task fails its first review and comes back with remediation.</summary>
    private async Task<bool> ReviewAsync(ClaimedWork claimed, string reviewer, WorkItem failOnce, CancellationToken ct)
    {
        var taskId = claimed.Lease.WorkItemId;
        var required = (await host.WithAsync<IQaService, QaState>(q => q.GetStateAsync(taskId, ct))).RequiredTypes;
        var fail = taskId == failOnce.Id && Interlocked.CompareExchange(ref qaFailures, 1, 0) == 0;
        foreach (var type in required)
        {
            var status = fail && type == QaType.CodeReview ? QaResultStatus.Fail : QaResultStatus.Pass;
            await host.WithAsync<IQaService, QaResult>(q => q.RecordResultAsync(new NewQaResult(taskId, reviewer, type, status)
            {
                SuccessCriteriaMet = type == QaType.SuccessCriteria ? true : null,
                RemediationNeeded = status == QaResultStatus.Fail ? "The retry path has no test: add one that loses the lease." : null,
                Findings = status == QaResultStatus.Fail ? [new QaFinding { Message = "missing test for a lost lease" }] : null,
            }, ct));
        }

        return !fail;
    }

    /// <summary>An agent's liveness signal, on a timer as a real agent sends it (its actions are reported as they change).</summary>
    private async Task KeepAliveAsync(string sessionId, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(700), ct);
                await host.WithAsync<ISessionService, AgentSession>(s => s.HeartbeatAsync(sessionId, cancellationToken: ct));
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task ReapLoopAsync(CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                await host.WithAsync<ISessionReaper, SessionReapResult>(r => r.ReapAsync(cancellationToken: ct));
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private static string Slug(string title) =>
        string.Concat(title.Split(' ', '#').Where(w => w.Length > 0).Select(w => char.ToUpperInvariant(w[0]) + w[1..]));

    private sealed record Team(AgentProfile Prime, AgentProfile Qa, IReadOnlyList<AgentProfile> Implementers);

    private sealed record SprintPlanResult(Sprint Sprint, IReadOnlyList<WorkItem> Stories, IReadOnlyList<WorkItem> Tasks);
}
