using AgentOrchestration.Data;
using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Migrations;
using AgentOrchestration.Data.Qa;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Cli.Hosting;

/// <summary>
/// The library, opened on the resolved database: migrated on first use, with the project and agent the command names.
/// Every operation runs in a scope of its own, as a host's request would.
/// </summary>
internal sealed class Orchestration : IAsyncDisposable
{
    private readonly ServiceProvider services;
    private Project? project;

    private Orchestration(DatabaseSettings settings, ServiceProvider services)
    {
        Settings = settings;
        this.services = services;
    }

    public DatabaseSettings Settings { get; }

    /// <summary>The migrations this process applied (empty when the database was up to date).</summary>
    public IReadOnlyList<string> Applied { get; private set; } = [];

    public static async Task<Orchestration> OpenAsync(DatabaseSettings settings, CancellationToken cancellationToken)
    {
        var collection = new ServiceCollection();
        collection.AddAgentOrchestration(o =>
        {
            if (settings.Provider == Provider.Sqlite)
            {
                o.UseSqlite(settings.ConnectionString);
            }
            else
            {
                o.UsePostgreSql(settings.ConnectionString);
            }

            if (settings.Config?.Qa is { } qa)
            {
                o.ConfigureQa(policy => ApplyQa(policy, qa));
            }
        });
        var orchestration = new Orchestration(settings, collection.BuildServiceProvider());
        try
        {
            if (settings.SqlitePath is { } path)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            }

            await using var scope = orchestration.services.CreateAsyncScope();
            var migrator = scope.ServiceProvider.GetRequiredService<IAgentOrchestrationMigrator>();
            var pending = await migrator.GetPendingMigrationsAsync(cancellationToken).ConfigureAwait(false);
            if (pending.Count > 0)
            {
                await migrator.MigrateAsync(cancellationToken).ConfigureAwait(false);
                orchestration.Applied = pending;
            }

            return orchestration;
        }
        catch
        {
            await orchestration.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs <paramref name="action"/> with a service of a fresh scope.</summary>
    public async Task<T> WithAsync<TService, T>(Func<TService, Task<T>> action)
        where TService : notnull
    {
        await using var scope = services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<TService>()).ConfigureAwait(false);
    }

    /// <summary>Reads through the library's context (untracked): lists the services do not offer, such as every agent.</summary>
    public async Task<T> ReadAsync<T>(Func<AgentOrchestrationDbContext, Task<T>> read)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        db.ChangeTracker.QueryTrackingBehavior = QueryTrackingBehavior.NoTracking;
        return await read(db).ConfigureAwait(false);
    }

    /// <summary>The project the command works in: the one named (flag, environment, config), else the only one in the database.</summary>
    public async Task<Project> ProjectAsync(CancellationToken cancellationToken)
    {
        if (project is not null)
        {
            return project;
        }

        var key = Settings.Project;
        var found = await ReadAsync(async db => key is null
            ? await db.Projects.OrderBy(p => p.Key).Take(2).ToListAsync(cancellationToken).ConfigureAwait(false)
            : await db.Projects.Where(p => p.Key == key).ToListAsync(cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        return project = found.Count switch
        {
            1 => found[0],
            0 when key is not null => throw new EntityNotFoundException("project", key),
            0 => throw new EntityNotFoundException("project", "(none yet: run 'agents init')"),
            _ => throw new InputException("the database holds several projects: pass --project KEY, set AGENTS_PROJECT or put \"project\" in .agents.json"),
        };
    }

    /// <summary>The agent named by slug or id (<c>--agent</c>, else AGENTS_AGENT, else the config's <c>agent</c>).</summary>
    public async Task<AgentProfile> AgentAsync(string? agent, CancellationToken cancellationToken)
    {
        var name = agent ?? Settings.Agent ?? throw new InputException("no agent given: pass --agent SLUG, set AGENTS_AGENT or put \"agent\" in .agents.json");
        return Guid.TryParse(name, out var id)
            ? await WithAsync<IAgentRegistry, AgentProfile>(r => r.GetByIdAsync(id, cancellationToken)).ConfigureAwait(false)
            : await WithAsync<IAgentRegistry, AgentProfile>(r => r.GetAsync(name, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>The session key (<c>--session</c>, else AGENTS_SESSION).</summary>
    public string Session(string? session) =>
        session ?? Settings.Session ?? throw new InputException("no session given: pass --session KEY or set AGENTS_SESSION (from 'agents session start')");

    public async ValueTask DisposeAsync() => await services.DisposeAsync().ConfigureAwait(false);

    private static void ApplyQa(QaPolicy policy, Dictionary<string, List<string>> qa)
    {
        foreach (var (level, types) in qa)
        {
            policy.Require(Names.Parse<OversightLevel>(level, "qa level in .agents.json"), [.. types.Select(t => Names.Parse<QaType>(t, "qa type in .agents.json"))]);
        }
    }
}
