using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AgentOrchestration.Data.Tests.Diagnostics;

/// <summary>A generic host validates the library's options and its context when it starts, with messages naming the option and its range.</summary>
public sealed class StartupValidationTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    [Test]
    public async Task A_correct_registration_starts()
    {
        using var host = Host(_ => { });

        await host.StartAsync();
        await host.StopAsync();
    }

    [Test]
    public void Every_option_out_of_range_is_named_with_its_range_in_one_start_up_error()
    {
        using var host = Host(s =>
        {
            s.AddSingleton(new EventLogOptions { BatchSize = 0, PollInterval = TimeSpan.FromHours(2) });
            s.AddSingleton(new SessionReaperOptions { Timeout = TimeSpan.Zero });
        });

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.Failures.Count(), Is.EqualTo(3));
        Assert.That(error.Failures, Has.One.Contains("EventLogOptions.BatchSize is 0: it must be from 1 to 1000"));
        Assert.That(error.Failures, Has.One.Contains("EventLogOptions.PollInterval is 02:00:00: it must be more than zero and at most 01:00:00"));
        Assert.That(error.Failures, Has.One.Contains("SessionReaperOptions.Timeout (the reaper timeout) must be more than zero"));
    }

    [Test]
    public void The_background_reaper_refuses_an_interval_out_of_range_at_registration()
    {
        var collection = new ServiceCollection();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            collection.AddAgentOrchestration(o => o.UseDbContext<DbContext>().AddSessionReaper(r => r.Interval = TimeSpan.FromDays(2))));

        Assert.That(error!.ParamName, Is.EqualTo(nameof(SessionReaperOptions.Interval)));
        Assert.That(error.Message, Does.Contain("SessionReaperOptions.Interval (the reaper interval) must be more than zero and at most 1.00:00:00"));
    }

    private IHost Host(Action<IServiceCollection> before)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        before(builder.Services);
        builder.Services.AddAgentOrchestration(o => Database.Throwaway.UseTurnkey(o));
        return builder.Build();
    }
}

/// <summary>A host that forgets to give the library a database gets one clear error at start-up, not a failure at its first call.</summary>
public sealed class MissingProviderTests
{
    [Test]
    public void A_host_context_that_is_not_registered_fails_start_up_naming_it()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAgentOrchestration(o => o.UseDbContext<UnconfiguredContext>());
        using var host = builder.Build();

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.Failures.Single(), Does.Contain("uses the context 'UnconfiguredContext', which cannot be created").And.Contain("AddDbContext<UnconfiguredContext>"));
    }

    [Test]
    public void A_host_context_without_a_database_provider_fails_start_up_saying_so()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddDbContext<UnconfiguredContext>();
        builder.Services.AddAgentOrchestration(o => o.UseDbContext<UnconfiguredContext>());
        using var host = builder.Build();

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.Failures.Single(), Does.Contain("The context 'UnconfiguredContext' cannot be used").And.Contain("No database provider has been configured"));
    }

    [Test]
    public void A_builder_that_chooses_no_database_fails_at_registration()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddAgentOrchestration(_ => { }));

        Assert.That(error!.Message, Does.Contain("AddAgentOrchestration needs a database"));
    }

    public sealed class UnconfiguredContext(DbContextOptions<UnconfiguredContext> options) : DbContext(options)
    {
        protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.ApplyAgentOrchestration();
    }
}
