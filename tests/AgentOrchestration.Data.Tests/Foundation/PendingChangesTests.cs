using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Foundation;

/// <summary>A library write on a context that holds the caller's unsaved changes: refused, and the changes are kept.</summary>
public sealed class PendingChangesTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    [Test]
    public async Task Unsaved_changes_of_the_caller_are_neither_saved_nor_dropped_by_a_library_call()
    {
        await using (await MigratedContextAsync())
        {
        }

        await using var services = OrchestrationServices.Create(Database);
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        var work = scope.ServiceProvider.GetRequiredService<IWorkItemService>();
        var sessions = scope.ServiceProvider.GetRequiredService<ISessionService>();
        var project = await work.CreateProjectAsync(Fakes.Factory.Project());

        // The caller's own change, not saved yet.
        var mine = Fakes.Project();
        db.Add(mine);
        var refusals = new Func<Task>[]
        {
            () => work.CreateProjectAsync(Fakes.Factory.Project()),
            () => work.CreateWorkItemAsync(Fakes.Factory.Task(project.Id)),
            () => sessions.StartAsync(Fakes.Factory.Session(project.Id, agentType: SessionAgentType.Qa)),
        };
        foreach (var call in refusals)
        {
            Assert.That(call, Throws.InvalidOperationException.With.Message.Contains("unsaved changes: Project (added)").And.Message.Contains("SaveChanges"));
        }

        Assert.That(db.Entry(mine).State, Is.EqualTo(EntityState.Added), "the caller's change is still pending");
        await using (var check = CreateContext())
        {
            Assert.That(await check.Projects.CountAsync(), Is.EqualTo(1), "nothing was written");
            Assert.That(await check.AgentSessions.CountAsync() + await check.WorkItems.CountAsync(), Is.Zero);
        }

        // Saved first, inside one transaction with the library's change: both commit together.
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            await db.SaveChangesAsync();
            await work.CreateWorkItemAsync(new NewWorkItem { ProjectId = mine.Id, Type = WorkItemType.Task, Title = "with mine" });
            await transaction.CommitAsync();
        }

        await using var after = CreateContext();
        Assert.That(await after.WorkItems.Where(w => w.ProjectId == mine.Id).Select(w => w.Title).SingleAsync(), Is.EqualTo("with mine"));
    }
}
