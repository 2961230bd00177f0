using System.Net;
using System.Net.Sockets;
using AgentOrchestration.Data.Faults;
using AgentOrchestration.Data.PostgreSql.Storage;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AgentOrchestration.Data.Tests.Faults;

/// <summary>The PostgreSQL classifier on faults the real server and driver produce, and a server that is not there.</summary>
public sealed class ClassifierTests
{
    [Test]
    public async Task A_terminated_backend_is_transient_and_a_constraint_violation_is_not()
    {
        var admin = TestDatabase.AdminConnectionString();
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        var terminated = Assert.CatchAsync(async () =>
        {
            await using var kill = new NpgsqlCommand("SELECT pg_terminate_backend(pg_backend_pid())", connection);
            await kill.ExecuteScalarAsync();
        });
        Assert.That(terminated, Is.InstanceOf<NpgsqlException>());
        Assert.That(PostgreSqlFaults.Classify(terminated!), Is.EqualTo(FaultKind.Transient), terminated!.ToString());

        await using var fresh = new NpgsqlConnection(admin);
        await fresh.OpenAsync();
        var violation = Assert.CatchAsync(async () =>
        {
            await using var command = new NpgsqlCommand("CREATE TEMP TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (1)", fresh);
            await command.ExecuteNonQueryAsync();
        });
        Assert.That(violation, Is.InstanceOf<PostgresException>().With.Property(nameof(PostgresException.SqlState)).EqualTo(PostgresErrorCodes.UniqueViolation));
        Assert.That(PostgreSqlFaults.Classify(violation!), Is.EqualTo(FaultKind.None));
    }

    [Test]
    public async Task A_server_that_is_not_running_is_a_transient_fault_that_committed_nothing_after_every_attempt()
    {
        // A loopback port nothing listens on: what a stopped server looks like to a client.
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        await using var services = new ServiceCollection()
            .AddAgentOrchestration(o => o.UsePostgreSql($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Timeout=5")
                .ConfigureRetries(r => r.BaseDelay = TimeSpan.FromMilliseconds(1)))
            .BuildServiceProvider();
        await using var scope = services.CreateAsyncScope();

        var fault = Assert.ThrowsAsync<AgentOrchestrationTransientException>(() => scope.ServiceProvider.GetRequiredService<IWorkItemService>().GetWorkItemAsync(Guid.NewGuid()));

        Assert.That(fault!.Attempts, Is.EqualTo(4));
        Assert.That(fault.MayHaveCommitted, Is.False);
        Assert.That(Walk(fault.InnerException!).OfType<SocketException>(), Is.Not.Empty, fault.ToString());

        var write = Assert.ThrowsAsync<AgentOrchestrationTransientException>(() => scope.ServiceProvider.GetRequiredService<IWorkItemService>().CreateProjectAsync("p", "P"));
        Assert.That(write!.MayHaveCommitted, Is.False, "the connection never opened, so no commit was sent");
    }

    private static IEnumerable<Exception> Walk(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }
}
