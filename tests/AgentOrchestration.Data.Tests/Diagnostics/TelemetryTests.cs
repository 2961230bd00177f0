using System.Diagnostics;
using System.Diagnostics.Metrics;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Diagnostics;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Sprints;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Tests.Sessions;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentOrchestration.Data.Tests.Diagnostics;

/// <summary>
/// What an operator sees of a known workload: the log records (event ids and levels) through a capturing logger
/// provider, the spans through an <see cref="ActivityListener"/>, and the instruments' values through a
/// <see cref="MeterListener"/> on this provider's own meter.
/// </summary>
public sealed class TelemetryTests(DatabaseProvider provider) : SessionFixture(provider)
{
    private LogCapture logs = null!;
    private ServiceProvider services = null!;
    private MetricCapture metrics = null!;

    [SetUp]
    public void BuildObservedServices()
    {
        logs = new LogCapture();
        services = BuildServices(before: s =>
        {
            s.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
            s.AddMetrics();
        });
        metrics = new MetricCapture(services.GetRequiredService<IMeterFactory>());
    }

    [TearDown]
    public async Task DisposeObservedServicesAsync()
    {
        metrics?.Dispose();
        logs?.Dispose();
        if (services is not null)
        {
            await services.DisposeAsync();
        }
    }

    [Test]
    public async Task Claims_are_counted_by_outcome_timed_and_traced_with_their_ids_and_fencing_token()
    {
        var first = await AddItemAsync();
        using var spans = new SpanCapture();

        var claimed = await Claimer(c => c.ClaimNextAsync(Agent.Id, Project.Id));
        var empty = await Claimer(c => c.ClaimNextAsync(Agent.Id, Project.Id));
        Assert.ThrowsAsync<EntityNotFoundException>(() => Claimer(c => c.ClaimNextAsync(Guid.NewGuid(), Project.Id)));
        await Claimer(async c => { await c.CompleteAsync(claimed!.Lease); return 0; });

        Assert.That(claimed!.Lease.WorkItemId, Is.EqualTo(first.Id));
        Assert.That(empty, Is.Null);
        Assert.That(metrics.Sum("agent_orchestration.claims", TagNames.Outcome, Outcomes.Claimed), Is.EqualTo(1));
        Assert.That(metrics.Sum("agent_orchestration.claims", TagNames.Outcome, Outcomes.Empty), Is.EqualTo(1));
        Assert.That(metrics.Sum("agent_orchestration.claims", TagNames.Outcome, Outcomes.Refused), Is.EqualTo(1));
        Assert.That(metrics.Sum("agent_orchestration.claimed_items"), Is.EqualTo(1));
        Assert.That(metrics.Count("agent_orchestration.claim.duration"), Is.EqualTo(3));
        Assert.That(metrics.Count("agent_orchestration.complete.duration", TagNames.Outcome, Outcomes.Ok), Is.EqualTo(1));

        var claims = spans.Named(SpanNames.Claim);
        Assert.That(claims.Select(s => s.GetTagItem(TagNames.Outcome)), Is.EqualTo(new[] { Outcomes.Claimed, Outcomes.Empty, Outcomes.Refused }));
        var taken = claims[0];
        Assert.That(taken.GetTagItem(TagNames.AgentId), Is.EqualTo(Agent.Id));
        Assert.That(taken.GetTagItem(TagNames.ProjectId), Is.EqualTo(Project.Id));
        Assert.That(taken.GetTagItem(TagNames.WorkItemId), Is.EqualTo(first.Id));
        Assert.That(taken.GetTagItem(TagNames.FencingToken), Is.EqualTo(claimed.Lease.FencingToken));
        Assert.That(taken.ParentSpanId, Is.EqualTo(spans.Root.SpanId));
        Assert.That(claims[2].Status, Is.EqualTo(ActivityStatusCode.Unset), "a refusal is an answer, not a failed span");
        Assert.That(claims[2].GetTagItem(TagNames.Refusal), Is.EqualTo(nameof(EntityNotFoundException)));
        var complete = spans.Named(SpanNames.Complete).Single();
        Assert.That(complete.GetTagItem(TagNames.FencingToken), Is.EqualTo(claimed.Lease.FencingToken));
        if (Provider == DatabaseProvider.PostgreSql)
        {
            // Npgsql's command spans nest under the operation that sent them.
            var commands = spans.Spans.Where(s => s.Source.Name == "Npgsql").ToList();
            Assert.That(commands.Where(c => c.ParentSpanId == taken.SpanId), Is.Not.Empty);
            var completeTransactions = spans.Named(SpanNames.Transaction).Where(t => t.ParentSpanId == complete.SpanId).Select(t => t.SpanId).ToList();
            Assert.That(completeTransactions, Is.Not.Empty, "the completion's write is a transaction span under it");
            Assert.That(commands.Where(c => completeTransactions.Contains(c.ParentSpanId)), Is.Not.Empty);
        }

        Assert.That(logs.WithId(1001).Single().Level, Is.EqualTo(LogLevel.Debug));
        Assert.That(logs.WithId(1002).Single().Level, Is.EqualTo(LogLevel.Debug));
        Assert.That(logs.WithId(1003).Single().Level, Is.EqualTo(LogLevel.Debug), "a refusal the caller receives is not logged as an error");
        Assert.That(logs.WithId(1005).Single().Level, Is.EqualTo(LogLevel.Debug));
    }

    [Test]
    public async Task Successful_hot_path_calls_log_nothing_above_debug_and_no_connection_string()
    {
        var session = (await StartAsync(Agent.Id)).SessionId;
        await AddItemAsync();
        await AddItemAsync();
        var claimed = await Claimer(c => c.ClaimNextAsync(Agent.Id, Project.Id, new ClaimOptions { SessionId = session }));
        await Claimer(c => c.RenewAsync(claimed!.Lease));
        await WithSessionsAsync(s => s.HeartbeatAsync(session, "working"));
        await Locks(l => l.AcquireAsync(session, ["src/a.cs"], FileLockType.Exclusive, TimeSpan.FromMinutes(5)));
        await Locks(l => l.ReleaseAsync(session, ["src/a.cs"]));
        await Claimer(async c => { await c.ReleaseAsync(claimed!.Lease); return 0; });
        await Claimer(c => c.ClaimNextAsync(Agent.Id, Project.Id));

        Assert.That(logs.Library.Select(r => r.EventId.Id), Is.SupersetOf(new[] { 1001, 1004, 1006, 2001, 2003, 3001 }));
        Assert.That(logs.Library.Where(r => r.Level > LogLevel.Debug), Is.Empty);
        Assert.That(logs.Records.Where(r => r.Message.Contains(Database.ConnectionString, StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public async Task Every_committed_event_is_counted_and_each_write_is_a_transaction_span_under_its_operation()
    {
        await AddItemAsync();
        await AddItemAsync();
        long before;
        await using (var db = CreateContext())
        {
            before = await db.Events.LongCountAsync();
        }

        using var spans = new SpanCapture();
        var session = (await WithSessionsAsync(s => s.StartAsync(new SessionStart(Project.Id, SessionAgentType.Implementation) { AgentId = Agent.Id }))).SessionId;
        var batch = await Claimer(c => c.ClaimBatchAsync(Agent.Id, Project.Id, 2, new ClaimOptions { SessionId = session }));
        await Claimer(c => c.RenewAsync(batch[0].Lease));
        await Locks(l => l.AcquireAsync(session, ["docs/**"], FileLockType.Shared, TimeSpan.FromMinutes(5)));
        await Claimer(async c => { await c.CompleteAsync(batch[0].Lease); return 0; });
        await Claimer(async c => { await c.ReleaseAsync(batch[1].Lease); return 0; });
        await WithSessionsAsync(s => s.EndAsync(session, SessionStatus.Completed));
        Assert.ThrowsAsync<LeaseLostException>(() => Claimer(c => c.RenewAsync(batch[0].Lease)));

        long after;
        await using (var db = CreateContext())
        {
            after = await db.Events.LongCountAsync();
        }

        Assert.That(after - before, Is.GreaterThan(batch.Count));
        Assert.That(metrics.Sum("agent_orchestration.events.appended"), Is.EqualTo(after - before), "a refused write appends nothing");
        var renew = spans.Named(SpanNames.Renew)[0];
        var transactions = spans.Named(SpanNames.Transaction);
        var renewal = transactions.Single(t => t.ParentSpanId == renew.SpanId);
        Assert.That(renewal.GetTagItem(TagNames.Operation), Is.Not.Null);
        Assert.That(renewal.GetTagItem(TagNames.Outcome), Is.EqualTo(Outcomes.Ok));
        Assert.That(transactions.Where(t => t.ParentSpanId == spans.Named(SpanNames.Complete).Single().SpanId), Is.Not.Empty);
        if (Provider == DatabaseProvider.PostgreSql)
        {
            Assert.That(spans.Spans.Where(s => s.Source.Name == "Npgsql" && s.ParentSpanId == renewal.SpanId), Is.Not.Empty);
        }
    }

    [Test]
    public async Task A_lock_conflict_is_logged_at_information_counted_and_traced()
    {
        var holder = (await StartAsync(Agent.Id)).SessionId;
        var other = (await StartAsync()).SessionId;
        await Locks(l => l.AcquireAsync(holder, ["src/**"], FileLockType.Exclusive, TimeSpan.FromMinutes(5)));
        using var spans = new SpanCapture();

        Assert.ThrowsAsync<FileLockConflictException>(() => Locks(l => l.AcquireAsync(other, ["src/x.cs"], FileLockType.Exclusive, TimeSpan.FromMinutes(5))));

        var conflict = logs.WithId(2002).Single();
        Assert.That(conflict.Level, Is.EqualTo(LogLevel.Information));
        Assert.That(conflict.Message, Does.Contain(holder).And.Contain("src/x.cs").And.Contain("src/**"));
        Assert.That(metrics.Sum("agent_orchestration.lock.conflicts"), Is.EqualTo(1));
        Assert.That(metrics.Sum("agent_orchestration.lock.acquisitions"), Is.EqualTo(1), "only the holder's lock was granted");
        var span = spans.Named(SpanNames.LockAcquire).Single();
        Assert.That(span.GetTagItem(TagNames.Outcome), Is.EqualTo(Outcomes.Conflict));
        Assert.That(span.GetTagItem(TagNames.SessionId), Is.EqualTo(other));
        Assert.That(logs.Library.Where(r => r.Level >= LogLevel.Warning), Is.Empty);
    }

    [Test]
    public async Task A_lost_lease_is_logged_at_information_and_counted_by_operation()
    {
        await AddItemAsync();
        var claimed = await Claimer(c => c.ClaimNextAsync(Agent.Id, Project.Id));
        var stale = claimed!.Lease with { FencingToken = claimed.Lease.FencingToken + 1 };
        using var spans = new SpanCapture();

        Assert.ThrowsAsync<LeaseLostException>(() => Claimer(c => c.RenewAsync(stale)));
        Assert.ThrowsAsync<LeaseLostException>(() => Claimer(async c => { await c.CompleteAsync(stale); return 0; }));

        Assert.That(logs.WithId(1007).Select(r => r.Level), Is.EqualTo(new[] { LogLevel.Information, LogLevel.Information }));
        Assert.That(metrics.Sum("agent_orchestration.lease.losses", TagNames.Operation, "renew"), Is.EqualTo(1));
        Assert.That(metrics.Sum("agent_orchestration.lease.losses", TagNames.Operation, "complete"), Is.EqualTo(1));
        Assert.That(metrics.Count("agent_orchestration.complete.duration", TagNames.Outcome, Outcomes.LeaseLost), Is.EqualTo(1));
        Assert.That(spans.Named(SpanNames.Renew).Single().GetTagItem(TagNames.Outcome), Is.EqualTo(Outcomes.LeaseLost));
        Assert.That(spans.Named(SpanNames.Renew).Single().GetTagItem(TagNames.FencingToken), Is.EqualTo(stale.FencingToken));
    }

    [Test]
    public async Task The_reaper_sweep_logs_its_counts_at_information_and_counts_what_it_returned()
    {
        var dead = (await StartAsync(Agent.Id)).SessionId;
        await AddItemAsync();
        await Claimer(c => c.ClaimNextAsync(Agent.Id, Project.Id, new ClaimOptions { SessionId = dead }));
        await AddLocksAsync(dead, "src/a.cs", "src/b.cs");
        Assert.That((await Reaper()).SessionsReaped, Is.Zero);
        Clock.Advance(new SessionReaperOptions().Timeout + TimeSpan.FromSeconds(1));
        using var spans = new SpanCapture();

        var result = await Reaper();

        Assert.That(result.SessionsReaped, Is.EqualTo(1));
        Assert.That(logs.WithId(3004).Single().Level, Is.EqualTo(LogLevel.Debug), "a sweep that reaps nothing stays quiet");
        var sweep = logs.WithId(3003).Single();
        Assert.That(sweep.Level, Is.EqualTo(LogLevel.Information));
        Assert.That(sweep.Message, Does.Contain("reaped 1 silent session(s)").And.Contain(dead).And.Contain("released 2 lock(s)").And.Contain("returned 1 work item(s)"));
        Assert.That(metrics.Sum("agent_orchestration.sessions.reaped"), Is.EqualTo(1));
        Assert.That(metrics.Sum("agent_orchestration.work_items.returned"), Is.EqualTo(1));
        Assert.That(metrics.Sum("agent_orchestration.reaper.locks_released"), Is.EqualTo(2));
        var span = spans.Named(SpanNames.Reap).Single();
        Assert.That(span.GetTagItem(TagNames.SessionsReaped), Is.EqualTo(1));
        Assert.That(span.GetTagItem(TagNames.ItemsReturned), Is.EqualTo(1));
        Assert.That(span.GetTagItem(TagNames.LocksReleased), Is.EqualTo(2));
    }

    [Test]
    public async Task A_heartbeat_and_a_qa_result_are_traced_with_their_session_and_task()
    {
        var implementer = (await StartAsync(Agent.Id)).SessionId;
        var reviewer = (await StartAsync()).SessionId;
        var item = await AddItemAsync();
        await Claimer(c => c.ClaimNextAsync(Agent.Id, Project.Id, new ClaimOptions { SessionId = implementer }));
        using var spans = new SpanCapture();

        await WithSessionsAsync(s => s.HeartbeatAsync(implementer));
        await using (var scope = services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<IQaService>().RecordResultAsync(new NewQaResult(item.Id, reviewer, QaType.CodeReview, QaResultStatus.Pass));
        }

        var heartbeat = spans.Named(SpanNames.Heartbeat).Single();
        Assert.That(heartbeat.GetTagItem(TagNames.SessionId), Is.EqualTo(implementer));
        Assert.That(heartbeat.GetTagItem(TagNames.AgentId), Is.EqualTo(Agent.Id));
        Assert.That(heartbeat.GetTagItem(TagNames.ProjectId), Is.EqualTo(Project.Id));
        var qa = spans.Named(SpanNames.QaRecord).Single();
        Assert.That(qa.GetTagItem(TagNames.WorkItemId), Is.EqualTo(item.Id));
        Assert.That(qa.GetTagItem(TagNames.QaType), Is.EqualTo("code_review"));
        Assert.That(qa.GetTagItem(TagNames.Outcome), Is.EqualTo(Outcomes.Ok));
        Assert.That(logs.WithId(4001).Single().Level, Is.EqualTo(LogLevel.Debug));
    }

    [Test]
    public async Task Creating_work_counts_its_event_outside_a_sprint_and_in_one()
    {
        var sprint = await Observed<ISprintService, Sprint>(s => s.PlanAsync(new SprintPlan(Project.Id, "counted")));
        var before = metrics.Sum("agent_orchestration.events.appended");

        var loose = await Observed<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(Faker.WorkItem(Project.Id, WorkItemType.Task)));
        var planned = await Observed<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(Faker.WorkItem(Project.Id, WorkItemType.Task, configure: i => i.SprintId = sprint.Id)));

        await using var db = CreateContext();
        var created = await db.Events.CountAsync(e => e.Type == OrchestrationEventTypes.WorkItemCreated && (e.EntityId == loose.Id || e.EntityId == planned.Id));
        Assert.That(created, Is.EqualTo(2));
        Assert.That(metrics.Sum("agent_orchestration.events.appended") - before, Is.EqualTo(created));
    }

    private async Task<T> Observed<TService, T>(Func<TService, Task<T>> action)
        where TService : notnull
    {
        await using var scope = services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<TService>());
    }

    private new async Task<T> WithSessionsAsync<T>(Func<ISessionService, Task<T>> action)
    {
        await using var scope = services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<ISessionService>());
    }

    private async Task<T> Claimer<T>(Func<IWorkClaimer, Task<T>> action)
    {
        await using var scope = services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<IWorkClaimer>());
    }

    private async Task<T> Locks<T>(Func<IFileLockService, Task<T>> action)
    {
        await using var scope = services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<IFileLockService>());
    }

    private async Task<SessionReapResult> Reaper()
    {
        await using var scope = services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ISessionReaper>().ReapAsync();
    }
}
