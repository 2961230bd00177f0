using System.Data.Common;
using System.Diagnostics.Metrics;
using AgentOrchestration.Data.Diagnostics;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentOrchestration.Data.Tests.Diagnostics;

/// <summary>
/// A watch whose reads hit transient faults (injected in the real provider's command path) reconnects: each retry is
/// logged at Information (5001) and counted, the recovery logged (5002), and the whole reconnect is one span.
/// </summary>
public sealed class WatchReconnectTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    [Test]
    public async Task Transient_read_faults_are_retried_logged_counted_and_traced_as_one_reconnect()
    {
        await using (await MigratedContextAsync())
        {
        }

        var faults = new TransientFaults();
        var logs = new LogCapture();
        var collection = new ServiceCollection();
        collection.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        collection.AddMetrics();
        collection.AddDbContext<AgentOrchestrationDbContext>(options =>
        {
            if (Provider == DatabaseProvider.Sqlite)
            {
                options.UseAgentOrchestrationSqlite(Database.ConnectionString);
            }
            else
            {
                options.UseAgentOrchestrationPostgreSql(Database.ConnectionString);
            }

            options.AddInterceptors(faults);
        });
        collection.AddAgentOrchestration(o => o.UseDbContext<AgentOrchestrationDbContext>());
        await using var services = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        using var metrics = new MetricCapture(services.GetRequiredService<IMeterFactory>());
        await using (var scope = services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<IWorkItemService>().CreateProjectAsync("watched", "Watched");
        }

        using var spans = new SpanCapture();
        faults.FailNext(2, sql => sql.Contains("orchestration_events", StringComparison.Ordinal));
        await using var watchScope = services.CreateAsyncScope();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var first = await watchScope.ServiceProvider.GetRequiredService<IEventLog>().WatchAsync(0, null, cancel.Token).FirstAsync(cancel.Token);

        Assert.That(first.Type, Is.EqualTo("project.created"));
        Assert.That(faults.Failed, Is.EqualTo(2));
        var retries = logs.WithId(5001);
        Assert.That(retries.Select(r => r.Level), Is.EqualTo(new[] { LogLevel.Information, LogLevel.Information }));
        Assert.That(retries[1].Message, Does.Contain("attempt 2").And.Contain(nameof(InjectedTransientException)));
        Assert.That(logs.WithId(5002).Single().Message, Does.Contain("after 2 failed attempt(s)"));
        Assert.That(metrics.Sum("agent_orchestration.watch.reconnects"), Is.EqualTo(2));
        Assert.That(metrics.Count("agent_orchestration.watch.lag"), Is.EqualTo(1));
        var reconnect = spans.Named(SpanNames.WatchReconnect).Single();
        Assert.That(reconnect.GetTagItem(TagNames.Outcome), Is.EqualTo(Outcomes.Ok));
        Assert.That(reconnect.GetTagItem(TagNames.Attempt), Is.EqualTo(3));
    }

    /// <summary>A provider-neutral transient fault, as a dropped connection or a failover reports itself.</summary>
    private sealed class InjectedTransientException() : DbException("injected transient fault")
    {
        public override bool IsTransient => true;
    }

    /// <summary>Throws a transient fault instead of running the next matching commands.</summary>
    private sealed class TransientFaults : DbCommandInterceptor
    {
        private Func<string, bool>? matches;
        private int remaining;

        public int Failed { get; private set; }

        public void FailNext(int count, Func<string, bool> match)
        {
            remaining = count;
            matches = match;
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            if (remaining > 0 && matches is { } match && match(command.CommandText))
            {
                remaining--;
                Failed++;
                throw new InjectedTransientException();
            }

            return ValueTask.FromResult(result);
        }
    }
}
