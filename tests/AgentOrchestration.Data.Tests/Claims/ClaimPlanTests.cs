using System.Data.Common;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Claims;

/// <summary>
/// How PostgreSQL runs the prepared claim and completion batches: planned once per connection (their generic plans), not
/// on every call, and without leaving the plan setting that chooses them behind on the connection or in a caller's
/// transaction.
/// </summary>
public sealed class ClaimPlanTests(DatabaseProvider provider) : ClaimFixture(provider, agentLimit: 20)
{
    private const int Claims = 8;

    [SetUp]
    public void PostgreSqlOnly()
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            Assert.Ignore("SQLite has no plan cache: every statement is compiled once per connection and run as compiled.");
        }
    }

    [Test]
    public async Task A_prepared_claim_is_planned_once_per_connection_not_on_every_call()
    {
        for (var i = 0; i < Claims; i++)
        {
            await AddItemAsync(priority: 1 + (i % 5));
        }

        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();

        // Held open, so every claim of the scope runs on this one physical connection and its prepared statement.
        await db.Database.OpenConnectionAsync();
        for (var i = 0; i < Claims; i++)
        {
            Assert.That(await claimer.ClaimNextAsync(Agent.Id, Project.Id), Is.Not.Null);
        }

        var (generic, custom) = await ClaimPlansAsync(db.Database.GetDbConnection());

        // Left to the plan cache, the first five calls are planned for their parameters and, the generic plan's estimate
        // being higher, every later one too: planning the claim cost more than running it.
        Assert.Multiple(() =>
        {
            Assert.That(custom, Is.Zero, "calls planned for their own parameters");
            Assert.That(generic, Is.EqualTo(Claims), "calls run on the connection's one generic plan");
        });
        Assert.That(await SettingAsync(db.Database.GetDbConnection()), Is.EqualTo("auto"), "the batch's setting ended with its transaction");
    }

    [Test]
    public async Task Completions_on_one_connection_run_on_their_generic_plan()
    {
        for (var i = 0; i < Claims; i++)
        {
            await AddItemAsync(priority: 1 + (i % 5));
        }

        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        await db.Database.OpenConnectionAsync();
        for (var i = 0; i < Claims; i++)
        {
            var claimed = await claimer.ClaimNextAsync(Agent.Id, Project.Id);
            await claimer.CompleteAsync(claimed!.Lease);
        }

        // Left to the plan cache, at least the first five completions of the connection are planned for their parameters.
        var (completeGeneric, completeCustom) = await PlansAsync(db.Database.GetDbConnection(), "%work_item.completed%");
        Assert.Multiple(() =>
        {
            Assert.That(completeCustom, Is.Zero, "completions planned for their own parameters");
            Assert.That(completeGeneric, Is.EqualTo(Claims));
        });
        Assert.That(await SettingAsync(db.Database.GetDbConnection()), Is.EqualTo("auto"), "the batch's setting ended with its transaction");
    }

    [Test]
    public async Task The_lock_before_a_completion_keeps_its_generic_plan()
    {
        const int completions = 12;
        await AddFillerAsync();
        for (var i = 0; i < completions; i++)
        {
            await AddItemAsync(priority: 1 + (i % 5));
        }

        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        await db.Database.OpenConnectionAsync();
        for (var i = 0; i < completions; i++)
        {
            var claimed = await claimer.ClaimNextAsync(Agent.Id, Project.Id);
            await claimer.CompleteAsync(claimed!.Lease);
        }

        // The lock runs before its own setting applies, so the plan cache decides: it plans the first five calls of a
        // connection for their parameters and, given the array as a parameter, would go on doing so on every call.
        var (generic, custom) = await PlansAsync(db.Database.GetDbConnection(), "SELECT set_config(%) FROM work_items WHERE id = ANY%");
        Assert.Multiple(() =>
        {
            Assert.That(custom, Is.LessThanOrEqualTo(FirstCustomPlans), "calls planned for their own parameters");
            Assert.That(generic + custom, Is.EqualTo(completions));
        });
    }

    [Test]
    public async Task Renewals_heartbeats_and_file_locks_keep_their_generic_plans()
    {
        const int calls = 12;
        await AddFillerAsync();
        await AddItemAsync(priority: 1);
        var session = await StartSessionAsync(Project, Agent.Id);

        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        var sessions = scope.ServiceProvider.GetRequiredService<ISessionService>();
        var locks = scope.ServiceProvider.GetRequiredService<IFileLockService>();
        await db.Database.OpenConnectionAsync();
        var lease = (await claimer.ClaimNextAsync(Agent.Id, Project.Id))!.Lease;
        for (var i = 0; i < calls; i++)
        {
            lease = (await claimer.RenewAsync(lease)).Lease;
            await sessions.HeartbeatAsync(session.SessionId, $"step {i}");
            await locks.AcquireAsync(session.SessionId, [$"src/file{i}.cs"], FileLockType.Exclusive, TimeSpan.FromMinutes(10));
            await locks.ReleaseAsync(session.SessionId, [$"src/file{i}.cs"]);
        }

        var planned = await AllPlansAsync(db.Database.GetDbConnection());
        Assert.That(planned.Where(p => p.Generic + p.Custom >= calls).Select(p => p.Statement), Is.Not.Empty, "the hot statements ran on this connection");
        Assert.That(planned.Where(p => p.Custom > FirstCustomPlans).Select(p => $"{p.Custom} custom plans: {p.Statement}"), Is.Empty,
            "statements planned for their own parameters beyond the plan cache's first five calls");
    }

    [Test]
    public async Task A_claim_in_a_callers_transaction_leaves_the_plan_setting_of_that_transaction_alone()
    {
        await AddItemAsync(priority: 1);
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();

        await using var transaction = await db.Database.BeginTransactionAsync();
        Assert.That(await claimer.ClaimNextAsync(Agent.Id, Project.Id), Is.Not.Null);

        // A transaction-local setting would last until the caller's transaction ends, planning the caller's own statements.
        Assert.That(await SettingAsync(db.Database.GetDbConnection(), transaction.GetDbTransaction()), Is.EqualTo("auto"));
        await transaction.CommitAsync();
    }

    // Left to itself (plan_cache_mode = auto), the plan cache plans the first five calls of a prepared statement on a
    // connection for their parameters before it compares them with the generic plan.
    private const int FirstCustomPlans = 5;

    /// <summary>
    /// Adds 2,000 finished items to the project in one statement, analysed: with a few rows every plan is a sequential
    /// scan that costs the same whatever the parameters, and the plan cache never has a reason to plan per call.
    /// </summary>
    private async Task AddFillerAsync()
    {
        await using var db = CreateContext();
        await RawSql.ScalarAsync(db, $"""
            INSERT INTO work_items (id, project_id, type, title, status, priority, created_at, updated_at, delegation_status, prime_approved, qa_status, success_criteria_met)
            SELECT gen_random_uuid(), '{Project.Id}', 'task', 'filler ' || g, 'done', 3, now(), now(), 'completed', false, 'not_started', false
            FROM generate_series(1, 2000) g
            """);
        await RawSql.ScalarAsync(db, "ANALYZE");
    }

    /// <summary>Every statement prepared on the connection, with how often it ran on its generic plan and on custom ones.</summary>
    private static async Task<List<(string Statement, long Generic, long Custom)>> AllPlansAsync(DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements";
        await using var reader = await command.ExecuteReaderAsync();
        var plans = new List<(string, long, long)>();
        while (await reader.ReadAsync())
        {
            plans.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        }

        return plans;
    }

    private static Task<(long Generic, long Custom)> ClaimPlansAsync(DbConnection connection) =>
        PlansAsync(connection, "%INSERT INTO orchestration_events%work_item.claimed%");

    /// <summary>How often the one statement prepared on the connection whose text is <c>LIKE</c> <paramref name="pattern"/> ran on its generic plan and on custom ones.</summary>
    private static async Task<(long Generic, long Custom)> PlansAsync(DbConnection connection, string pattern)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '{pattern}'";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.That(await reader.ReadAsync(), Is.True, $"a statement like '{pattern}' is prepared on the connection");
        var plans = (reader.GetInt64(0), reader.GetInt64(1));
        Assert.That(await reader.ReadAsync(), Is.False, $"one statement like '{pattern}'");
        return plans;
    }

    private static async Task<string?> SettingAsync(DbConnection connection, DbTransaction? transaction = null)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT current_setting('plan_cache_mode')";
        return (string?)await command.ExecuteScalarAsync();
    }
}
