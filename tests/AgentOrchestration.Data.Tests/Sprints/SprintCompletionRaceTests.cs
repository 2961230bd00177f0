using AgentOrchestration.Data.Delegation;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Sprints;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Sprints;

/// <summary>Sprint completion racing the work it sorts: finished work stays in the sprint, and no work lands in a closed one.</summary>
public sealed class SprintCompletionRaceTests(DatabaseProvider provider) : SprintFixture(provider)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Test]
    public async Task Work_completed_while_the_sprint_completes_counts_as_finished_and_stays_in_the_sprint()
    {
        await using var services = OrchestrationServices.Create(Database, Clock, OrchestrationServices.WithoutQaGate);
        var agent = await AddAgentAsync("implementer");
        var sprint = await PlanAsync();
        await SprintsAsync(s => s.StartAsync(sprint.Id));
        var item = await AddItemAsync(sprintId: sprint.Id);
        await using (var scope = services.CreateAsyncScope())
        {
            var delegation = scope.ServiceProvider.GetRequiredService<IDelegationService>();
            await delegation.AssignAsync(item.Id, Assignee.Agent(agent.Id));
            await delegation.StartAsync(item.Id);
        }

        // The holder completes the item in a transaction that commits only after the sprint's completion began.
        await using var holder = services.CreateAsyncScope();
        var holderDb = holder.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        await using var holderTransaction = await holderDb.Database.BeginTransactionAsync();
        await holder.ServiceProvider.GetRequiredService<IDelegationService>().CompleteAsync(item.Id);

        var completing = Task.Run(async () =>
        {
            await using var scope = services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<ISprintService>().CompleteAsync(sprint.Id, "lead");
        });
        await WaitUntilBlockedAsync(completing);
        await holderTransaction.CommitAsync();
        var completion = await completing.WaitAsync(Patience);

        await using var db = CreateContext();
        var stored = await db.WorkItems.AsNoTracking().SingleAsync(w => w.Id == item.Id);
        Assert.Multiple(() =>
        {
            Assert.That(stored.Status, Is.EqualTo(WorkItemStatus.Done));
            Assert.That(stored.SprintId, Is.EqualTo(sprint.Id), "done work stays in the sprint it was done in");
            Assert.That(completion.FinishedItemIds, Is.EqualTo(new[] { item.Id }));
            Assert.That(completion.ReturnedItemIds, Is.Empty);
        });
        Assert.That(await db.Events.CountAsync(e => e.Type == OrchestrationEventTypes.SprintWorkRemoved), Is.Zero);
    }

    [Test]
    public async Task Work_created_into_a_sprint_while_it_completes_is_refused()
    {
        var sprint = await PlanAsync();
        await SprintsAsync(s => s.StartAsync(sprint.Id));

        // The sprint completes in a host transaction that commits only after the creation began.
        await using var host = Services.CreateAsyncScope();
        var hostDb = host.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        await using var hostTransaction = await hostDb.Database.BeginTransactionAsync();
        await host.ServiceProvider.GetRequiredService<ISprintService>().CompleteAsync(sprint.Id, "lead");

        var creating = Task.Run(async () =>
        {
            await using var scope = Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<IWorkItemService>().CreateWorkItemAsync(
                new NewWorkItem { ProjectId = Project.Id, Type = WorkItemType.Task, Title = "late work", SprintId = sprint.Id });
        });
        await WaitUntilBlockedAsync(creating);
        await hostTransaction.CommitAsync();

        var refused = Assert.ThrowsAsync<InvalidStateTransitionException>(async () => await creating.WaitAsync(Patience));
        Assert.That(refused!.Message, Does.Contain(sprint.Id.ToString()));
        await using var db = CreateContext();
        Assert.That(await db.WorkItems.CountAsync(w => w.SprintId == sprint.Id), Is.Zero, "nothing lands in a completed sprint");
        Assert.That(await db.Events.CountAsync(e => e.Type == OrchestrationEventTypes.WorkItemCreated), Is.Zero);
    }

    /// <summary>
    /// Returns once <paramref name="racer"/> waits on a lock (PostgreSQL) or has had time to reach SQLite's write lock, or
    /// has finished without waiting (which the caller's assertions then catch).
    /// </summary>
    private async Task WaitUntilBlockedAsync(Task racer)
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            await Task.WhenAny(racer, Task.Delay(300));
            return;
        }

        await using var admin = CreateContext();
        var deadline = DateTime.UtcNow + Patience;
        while (!racer.IsCompleted && DateTime.UtcNow < deadline)
        {
            var waiting = (long)(await RawSql.ScalarAsync(admin,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"))!;
            if (waiting > 0)
            {
                return;
            }

            await Task.Delay(20);
        }
    }
}
