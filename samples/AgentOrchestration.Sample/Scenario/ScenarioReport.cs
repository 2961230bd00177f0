using System.Collections.Concurrent;
using AgentOrchestration.Data.Dashboards;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Sprints;
using AgentOrchestration.Sample.Data;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Sample.Scenario;

/// <summary>What the database says after the run, checked against what the workers counted.</summary>
internal sealed record ScenarioReport(
    string Database,
    string Project,
    SprintProgress Sprint,
    IReadOnlyList<(string Agent, int Completed)> CompletedBy,
    int TasksDone,
    int TasksTotal,
    int TasksQaPassed,
    IReadOnlyList<QaPassRate> QaResults,
    IReadOnlyList<(string SessionId, SessionStatus Status)> Sessions,
    int LocksHeld,
    int Events,
    IReadOnlyList<string> Problems)
{
    public bool Consistent => Problems.Count == 0;

    public static async Task<ScenarioReport> ReadAsync(
        SampleHost host, Project project, Sprint sprint, SprintCompletion completion, ConcurrentDictionary<string, int> completedBy, int qaFailures, string? crashedSession,
        CancellationToken ct)
    {
        var progress = await host.WithAsync<ISprintService, SprintProgress>(s => s.GetProgressAsync(sprint.Id, ct));
        var qa = await host.WithAsync<IOrchestrationDashboard, IReadOnlyList<QaPassRate>>(d => d.GetQaPassRatesAsync(project.Id, cancellationToken: ct));
        return await host.WithAsync<SampleDbContext, ScenarioReport>(async db =>
        {
            var tasks = db.Set<WorkItem>().AsNoTracking().Where(w => w.ProjectId == project.Id && w.Type == WorkItemType.Task);
            var done = await tasks.CountAsync(w => w.Status == WorkItemStatus.Done, ct);
            var total = await tasks.CountAsync(ct);
            var passed = await tasks.CountAsync(w => w.QaStatus == QaStatus.QaPassed, ct);
            var byAgent = await db.Set<TaskAssignment>().AsNoTracking()
                .Where(a => a.WorkItem!.ProjectId == project.Id && a.WorkItem.Type == WorkItemType.Task && a.Status == AssignmentStatus.Completed)
                .GroupBy(a => a.Agent!.Slug).Select(g => new { Slug = g.Key, Count = g.Count() }).ToListAsync(ct);
            var sessions = await db.Set<AgentSession>().AsNoTracking().Where(s => s.ProjectId == project.Id && s.AgentType == SessionAgentType.Implementation)
                .OrderBy(s => s.StartTime).Select(s => new { s.SessionId, s.Status }).ToListAsync(ct);
            var locks = await db.Set<FileLock>().AsNoTracking().CountAsync(l => l.ProjectId == project.Id, ct);
            var events = await db.Set<OrchestrationEvent>().AsNoTracking().CountAsync(e => e.ProjectId == project.Id, ct);
            var qaFailed = qa.Sum(r => r.Failed);

            var problems = new List<string>();
            void Expect(bool condition, string problem)
            {
                if (!condition)
                {
                    problems.Add(problem);
                }
            }

            Expect(done == total, $"{done} of {total} tasks are done");
            Expect(passed == total, $"{passed} of {total} tasks passed QA");
            Expect(completedBy.Values.Sum() == done, $"the agents completed {completedBy.Values.Sum()} tasks, the database has {done} done");
            Expect(byAgent.All(a => completedBy.GetValueOrDefault(a.Slug) == a.Count), "completed assignments per agent differ from what the agents counted");
            Expect(qaFailed == qaFailures, $"{qaFailures} QA failures were recorded, the database has {qaFailed}");
            Expect(progress.Status == SprintStatus.Completed && completion.ReturnedItemIds.Count == 0, "the sprint did not complete with all its work done");
            Expect(locks == 0, $"{locks} file locks are still held");
            Expect(crashedSession is null || sessions.Any(s => s.SessionId == crashedSession && s.Status == SessionStatus.Failed),
                "the crashed agent's session was not reaped");
            Expect(sessions.Where(s => s.SessionId != crashedSession).All(s => s.Status == SessionStatus.Completed), "a live agent's session did not complete");

            return new ScenarioReport(
                string.Empty, project.Key, progress, [.. byAgent.OrderBy(a => a.Slug, StringComparer.Ordinal).Select(a => (a.Slug, a.Count))], done, total, passed, qa,
                [.. sessions.Select(s => (s.SessionId, s.Status))], locks, events, problems);
        });
    }

    public void Print(TextWriter output)
    {
        output.WriteLine();
        output.WriteLine($"Summary of {Project} ({Database})");
        output.WriteLine($"  sprint '{Sprint.Name}': {Sprint.Status.ToString().ToLowerInvariant()}, {Sprint.DoneItems}/{Sprint.TotalItems} items done, "
            + $"{Sprint.EstimatedHours:0.##} h estimated, {Sprint.ActualHours:0.##} h actual");
        output.WriteLine($"  tasks: {TasksDone}/{TasksTotal} done, {TasksQaPassed} passed QA");
        foreach (var (agent, completed) in CompletedBy)
        {
            output.WriteLine($"  {agent}: completed {completed}");
        }

        foreach (var rate in QaResults)
        {
            output.WriteLine($"  QA {rate.QaType}: {rate.Passed} passed, {rate.Warnings} warnings, {rate.Failed} failed");
        }

        foreach (var (session, status) in Sessions)
        {
            output.WriteLine($"  session {session}: {status.ToString().ToLowerInvariant()}");
        }

        output.WriteLine($"  file locks held: {LocksHeld}; events logged: {Events}");
        output.WriteLine(Consistent ? "  the summary matches the database." : $"  PROBLEMS: {string.Join("; ", Problems)}");
    }
}
