using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Faults;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace AgentOrchestration.Data.Tests.Faults;

/// <summary>
/// Faults of the connection met half-way through an operation (see <see cref="ConnectionFaults"/>): what the library
/// retries, how it resolves a commit whose reply was lost, and what reaches the caller when it cannot.
/// </summary>
public sealed class RetryTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private FakeTimeProvider clock = null!;
    private ConnectionFaults faults = null!;
    private ServiceProvider services = null!;
    private Project project = null!;
    private AgentProfile agent = null!;
    private RecordingObserver observer = null!;

    protected override bool StartsMigrated => true;

    [SetUp]
    public async Task SeedAsync()
    {
        clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        faults = new ConnectionFaults(Provider, Database.ConnectionString);
        observer = new RecordingObserver();
        await using (await MigratedContextAsync())
        {
        }

        services = Build(r =>
        {
            r.BaseDelay = TimeSpan.FromMilliseconds(1);
            r.MaxDelay = TimeSpan.FromMilliseconds(5);
        });
        project = Fakes.Project();
        agent = Fakes.Agent();
        agent.MaxConcurrentTasks = 5;
        agent.CapabilityRecords.Add(new AgentCapability { Capability = "csharp", CreatedAt = clock.GetUtcNow() });
        await using var db = CreateContext();
        db.AddRange(project, agent);
        await db.SaveChangesAsync();
    }

    [TearDown]
    public async Task DisposeServicesAsync() => await services.DisposeAsync();

    [Test]
    public async Task A_read_whose_connection_breaks_is_retried()
    {
        var item = await AddItemAsync();
        faults.BeforeCommand(IsSelectOf("work_items"));

        var read = await InScopeAsync(sp => sp.GetRequiredService<IWorkItemService>().GetWorkItemAsync(item.Id));

        Assert.That(read?.Id, Is.EqualTo(item.Id));
        Assert.That(faults.Injected, Is.EqualTo(1));
        Assert.That(observer.Retries, Has.Count.EqualTo(1).And.All.EqualTo("IWorkItemService.GetWorkItemAsync"));
    }

    [Test]
    public async Task A_write_whose_connection_breaks_before_its_commit_is_retried_and_written_once()
    {
        faults.BeforeCommand(sql => sql.Contains("INSERT INTO", StringComparison.Ordinal) && sql.Contains("work_items", StringComparison.Ordinal));

        var created = await InScopeAsync(sp => sp.GetRequiredService<IWorkItemService>()
            .CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Task, Title = "retried once" }));

        Assert.That(faults.Injected, Is.EqualTo(1));
        await using var db = CreateContext();
        Assert.That(await db.Set<WorkItem>().Where(w => w.Title == "retried once").Select(w => w.Id).ToListAsync(), Is.EqualTo(new[] { created.Id }));
    }

    [Test]
    public async Task A_claim_whose_connection_breaks_is_retried_and_claims_once()
    {
        var item = await AddItemAsync();
        if (Provider == DatabaseProvider.PostgreSql)
        {
            faults.AfterOpen();
        }
        else
        {
            // The SQLite claim's statements are plain SQL on EF Core's connection: the fault comes as its transaction commits.
            faults.BeforeCommit();
        }

        var claimed = await InScopeAsync(sp => sp.GetRequiredService<IWorkClaimer>().ClaimNextAsync(agent.Id, project.Id));

        Assert.That(faults.Injected, Is.EqualTo(1));
        Assert.That(claimed?.Lease.WorkItemId, Is.EqualTo(item.Id));
        await AssertOneAssignmentAsync(claimed!.Lease);
    }

    [Test]
    public async Task A_claim_without_a_key_whose_commit_landed_but_whose_reply_was_lost_returns_that_claim_and_claims_nothing_more()
    {
        await AddItemAsync();
        await AddItemAsync();
        if (Provider == DatabaseProvider.PostgreSql)
        {
            // The PostgreSQL claim is one statement that commits by itself; the fault comes as its connection is handed back.
            faults.AtClose();
        }
        else
        {
            faults.AfterCommit();
        }

        var claimed = await InScopeAsync(sp => sp.GetRequiredService<IWorkClaimer>().ClaimNextAsync(agent.Id, project.Id));

        Assert.That(faults.Injected, Is.EqualTo(1));
        await AssertOneAssignmentAsync(claimed!.Lease);
    }

    [Test]
    public async Task A_completion_whose_commit_landed_but_whose_reply_was_lost_is_resolved_as_done_once()
    {
        await AddItemAsync();
        var claimed = await InScopeAsync(sp => sp.GetRequiredService<IWorkClaimer>().ClaimNextAsync(agent.Id, project.Id));
        if (Provider == DatabaseProvider.PostgreSql)
        {
            // The PostgreSQL completion is one batch that commits by itself; the fault comes as its connection is handed back.
            faults.AtClose();
        }
        else
        {
            faults.AfterCommit();
        }

        await InScopeAsync(async sp =>
        {
            await sp.GetRequiredService<IWorkClaimer>().CompleteAsync(claimed!.Lease);
            return 0;
        });

        Assert.That(faults.Injected, Is.EqualTo(1));
        Assert.That(observer.Resolutions, Is.EqualTo(new[] { ("IWorkClaimer.CompleteAsync", true) }));
        await using var db = CreateContext();
        var item = await db.Set<WorkItem>().SingleAsync(w => w.Id == claimed!.Lease.WorkItemId);
        Assert.That(item.Status, Is.EqualTo(WorkItemStatus.Done));
        var assignment = await db.Set<TaskAssignment>().SingleAsync(a => a.WorkItemId == item.Id);
        Assert.That(assignment.Status, Is.EqualTo(AssignmentStatus.Completed));
        var types = await db.Set<OrchestrationEvent>().Where(e => e.EntityId == item.Id).Select(e => e.Type).ToListAsync();
        Assert.That(types, Is.Unique, "no change of the item was written twice");
    }

    [Test]
    public async Task A_completion_and_claim_whose_commit_landed_but_whose_reply_was_lost_return_the_next_item_claimed_once()
    {
        WorkItem[] items = [await AddItemAsync(), await AddItemAsync()];
        var claimed = await InScopeAsync(sp => sp.GetRequiredService<IWorkClaimer>().ClaimNextAsync(agent.Id, project.Id));
        var next = items.Single(i => i.Id != claimed!.Lease.WorkItemId);
        if (Provider == DatabaseProvider.PostgreSql)
        {
            // On PostgreSQL both go in one batch that commits by itself; the fault comes as its connection is handed back.
            faults.AtClose();
        }
        else
        {
            // On SQLite the completion commits first; the fault comes right after that commit.
            faults.AfterCommit();
        }

        var claimedNext = await InScopeAsync(sp => sp.GetRequiredService<IWorkClaimer>().CompleteAndClaimNextAsync(claimed!.Lease, agent.Id, project.Id));

        Assert.That(faults.Injected, Is.EqualTo(1));
        Assert.That(claimedNext?.Lease.WorkItemId, Is.EqualTo(next.Id), "the claim was found by its key, or made after the landed completion");
        await using var db = CreateContext();
        var assignments = await db.Set<TaskAssignment>().Where(a => a.AgentId == agent.Id).OrderBy(a => a.AssignedAt).ThenBy(a => a.Id).ToListAsync();
        Assert.That(assignments.Select(a => (a.WorkItemId, a.Status)), Is.EqualTo(new[]
        {
            (claimed!.Lease.WorkItemId, AssignmentStatus.Completed),
            (next.Id, AssignmentStatus.Assigned),
        }), "completed once, claimed once");
        Assert.That(assignments[1].Id, Is.EqualTo(claimedNext!.Lease.AssignmentId));
        var types = await db.Set<OrchestrationEvent>().Where(e => e.EntityId == claimed.Lease.WorkItemId || e.EntityId == next.Id).Select(e => new { e.EntityId, e.Type }).ToListAsync();
        Assert.That(types, Is.Unique, "no change of either item was written twice");
    }

    [Test]
    public async Task A_completion_and_claim_whose_connection_breaks_before_the_commit_are_made_once_each()
    {
        WorkItem[] items = [await AddItemAsync(), await AddItemAsync()];
        var claimed = await InScopeAsync(sp => sp.GetRequiredService<IWorkClaimer>().ClaimNextAsync(agent.Id, project.Id));
        var next = items.Single(i => i.Id != claimed!.Lease.WorkItemId);
        if (Provider == DatabaseProvider.PostgreSql)
        {
            faults.AfterOpen();
        }
        else
        {
            faults.BeforeCommit();
        }

        var claimedNext = await InScopeAsync(sp => sp.GetRequiredService<IWorkClaimer>().CompleteAndClaimNextAsync(claimed!.Lease, agent.Id, project.Id));

        Assert.That(faults.Injected, Is.EqualTo(1));
        Assert.That(claimedNext?.Lease.WorkItemId, Is.EqualTo(next.Id));
        await using var db = CreateContext();
        var statuses = await db.Set<TaskAssignment>().Where(a => a.AgentId == agent.Id).Select(a => new { a.WorkItemId, a.Status }).ToListAsync();
        Assert.That(statuses.Select(a => (a.WorkItemId, a.Status)), Is.EquivalentTo(new[]
        {
            (claimed!.Lease.WorkItemId, AssignmentStatus.Completed),
            (next.Id, AssignmentStatus.Assigned),
        }));
    }

    [Test]
    public async Task A_completion_whose_connection_breaks_before_its_commit_is_checked_and_retried()
    {
        await AddItemAsync();
        var claimed = await InScopeAsync(sp => sp.GetRequiredService<IWorkClaimer>().ClaimNextAsync(agent.Id, project.Id));
        if (Provider == DatabaseProvider.PostgreSql)
        {
            // The one-batch completion sends no EF command: its connection dies as it opens, before the batch runs.
            faults.AfterOpen();
        }
        else
        {
            // As the claim's: the completion's plain statements ran, its commit fails before it is sent.
            faults.BeforeCommit();
        }

        await InScopeAsync(async sp =>
        {
            await sp.GetRequiredService<IWorkClaimer>().CompleteAsync(claimed!.Lease);
            return 0;
        });

        Assert.That(faults.Injected, Is.EqualTo(1));
        await using var db = CreateContext();
        Assert.That((await db.Set<WorkItem>().SingleAsync(w => w.Id == claimed!.Lease.WorkItemId)).Status, Is.EqualTo(WorkItemStatus.Done));
    }

    [Test]
    public async Task A_write_whose_commit_outcome_cannot_be_checked_reports_that_it_may_have_committed_and_is_not_repeated()
    {
        faults.AfterCommit();

        var fault = Assert.ThrowsAsync<AgentOrchestrationTransientException>(() => InScopeAsync(sp => sp.GetRequiredService<IWorkItemService>()
            .CreateWorkItemAsync(new NewWorkItem { ProjectId = project.Id, Type = WorkItemType.Task, Title = "maybe" })));

        Assert.That(fault!.MayHaveCommitted, Is.True);
        Assert.That(fault.Attempts, Is.EqualTo(1));
        Assert.That(fault.Operation, Is.EqualTo("IWorkItemService.CreateWorkItemAsync"));
        await using var db = CreateContext();
        Assert.That(await db.Set<WorkItem>().CountAsync(w => w.Title == "maybe"), Is.EqualTo(1), "it did commit, once");
    }

    [Test]
    public async Task A_fault_that_outlasts_the_retries_reaches_the_caller_as_the_transient_exception_with_the_providers_error_inside()
    {
        var item = await AddItemAsync();
        faults.BeforeCommand(IsSelectOf("work_items"), times: 100);

        var fault = Assert.ThrowsAsync<AgentOrchestrationTransientException>(() =>
            InScopeAsync(sp => sp.GetRequiredService<IWorkItemService>().GetWorkItemAsync(item.Id)));

        Assert.That(fault!.Attempts, Is.EqualTo(new RetryOptions().MaxAttempts));
        Assert.That(faults.Injected, Is.EqualTo(fault.Attempts));
        Assert.That(fault.MayHaveCommitted, Is.False);
        Assert.That(fault, Is.Not.InstanceOf<AgentOrchestrationException>().And.Not.InstanceOf<InvalidOperationException>());
        Assert.That(Chain(fault.InnerException!), Has.Some.InstanceOf(Provider == DatabaseProvider.PostgreSql ? typeof(NpgsqlException) : typeof(SqliteException)));
        Assert.That(observer.GaveUp, Is.EqualTo(new[] { ("IWorkItemService.GetWorkItemAsync", fault.Attempts, false) }));
    }

    [Test]
    public async Task Cancelling_during_the_backoff_ends_the_wait_without_another_attempt()
    {
        await services.DisposeAsync();
        services = Build(r =>
        {
            r.BaseDelay = TimeSpan.FromMinutes(1);
            r.MaxDelay = TimeSpan.FromMinutes(1);
        });
        var item = await AddItemAsync();
        using var cancel = new CancellationTokenSource();
        observer.OnRetrying = cancel.Cancel;
        faults.BeforeCommand(IsSelectOf("work_items"), times: 100);

        Assert.That(
            () => InScopeAsync(sp => sp.GetRequiredService<IWorkItemService>().GetWorkItemAsync(item.Id, cancel.Token)),
            Throws.InstanceOf<OperationCanceledException>());
        Assert.That(faults.Injected, Is.EqualTo(1));
        Assert.That(observer.Retries, Has.Count.EqualTo(1));
    }

    private ServiceProvider Build(Action<RetryOptions> retries)
    {
        var collection = new ServiceCollection();
        collection.AddSingleton<IRetryObserver>(observer);
        collection.AddDbContext<AgentOrchestrationDbContext>(options => Database.Throwaway.ConfigureContext(options).AddInterceptors(faults));
        collection.AddAgentOrchestration(o => o.UseDbContext<AgentOrchestrationDbContext>().UseClock(clock).ConfigureQa(p => p.RequireNone()).ConfigureRetries(retries));
        return collection.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
    }

    private async Task<T> InScopeAsync<T>(Func<IServiceProvider, Task<T>> call)
    {
        await using var scope = services.CreateAsyncScope();
        return await call(scope.ServiceProvider);
    }

    private async Task<WorkItem> AddItemAsync()
    {
        await using var db = CreateContext();
        var item = Fakes.WorkItem(project);
        item.Project = null;
        item.ProjectId = project.Id;
        item.RequiredCapabilities = ["csharp"];
        item.CreatedAt = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromMilliseconds(1));
        db.Add(item);
        await db.SaveChangesAsync();
        return item;
    }

    private async Task AssertOneAssignmentAsync(WorkLease lease)
    {
        await using var db = CreateContext();
        var assignments = await db.Set<TaskAssignment>().Where(a => a.AgentId == agent.Id).ToListAsync();
        Assert.That(assignments.Select(a => a.Id), Is.EqualTo(new[] { lease.AssignmentId }), "one claim, the one returned");
        Assert.That(assignments[0].WorkItemId, Is.EqualTo(lease.WorkItemId));
    }

    private static Func<string, bool> IsSelectOf(string table) =>
        sql => sql.TrimStart().StartsWith("SELECT", StringComparison.Ordinal) && sql.Contains(table, StringComparison.Ordinal);

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    private sealed class RecordingObserver : IRetryObserver
    {
        public List<string> Retries { get; } = [];

        public List<(string, int, bool)> GaveUp { get; } = [];

        public List<(string, bool)> Resolutions { get; } = [];

        public Action? OnRetrying { get; set; }

        public void Started(string operation)
        {
        }

        public void Retrying(string operation, int attempt, TimeSpan delay, Exception fault)
        {
            Retries.Add(operation);
            OnRetrying?.Invoke();
        }

        void IRetryObserver.GaveUp(string operation, int attempts, bool mayHaveCommitted, Exception fault) => GaveUp.Add((operation, attempts, mayHaveCommitted));

        public void Resolved(string operation, bool landed) => Resolutions.Add((operation, landed));
    }
}
