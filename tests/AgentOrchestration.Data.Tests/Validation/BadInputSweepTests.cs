using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Backlog;
using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Bogus;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Validation;

/// <summary>
/// The bad-input sweep: every public mutation, starting from a valid request of the Testing package's seeded factories
/// with one field broken at a time (nulls, empty and white space, over-long strings, control characters and NUL,
/// unpaired surrogates, out-of-range and over-precise numbers, unknown enum values, <see cref="Guid.Empty"/>, ids of
/// another project and of deleted rows, null entries in JSON lists). Each call must be refused with a typed exception
/// (an argument exception naming the field, or the library's own for references) whose message is short, and every
/// table must hold exactly the rows it held before. SQL text is the one input that is accepted: stored verbatim.
/// </summary>
public sealed class BadInputSweepTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    /// <summary>A refusal never echoes a long value whole: the field, the shortened value and what is allowed fit in this.</summary>
    private const int MaxMessageLength = 1200;

    private const int Seed = 20261301;

    [Test]
    public async Task Every_public_mutation_refuses_each_broken_field_and_leaves_every_table_unchanged()
    {
        await (await MigratedContextAsync()).DisposeAsync();
        await using var services = OrchestrationServices.Create(Database);
        var faker = new OrchestrationFaker(Seed);
        var world = await SweepWorld.CreateAsync(services, faker, CreateContext);
        var cases = new SweepCases(faker, new Breaks(new Faker { Random = new Randomizer(Seed) }), world).All().ToList();
        Assert.That(cases.Select(c => c.Name), Is.Unique, "each case is named once");

        var failures = new List<string>();
        foreach (var sweepCase in cases)
        {
            var before = await DumpAsync();
            Exception? caught = null;
            try
            {
                await using var scope = services.CreateAsyncScope();
                await sweepCase.Call(scope.ServiceProvider);
            }
            catch (Exception exception)
            {
                caught = exception;
            }

            var problem = Judge(sweepCase, caught) ?? (await DumpAsync() == before ? null : "changed the database");
            if (problem is not null)
            {
                failures.Add($"{sweepCase.Name}: {problem}");
            }
        }

        var stored = await SqlTextIsStoredVerbatimAsync(services, faker, world);
        TestContext.Out.WriteLine($"bad-input sweep ({Provider}, seed {Seed}): {cases.Count} bad inputs tried, {cases.Count - failures.Count} refused with the database unchanged; {stored} SQL texts stored verbatim");
        Assert.That(failures, Is.Empty, $"{failures.Count} of {cases.Count} bad inputs were not refused cleanly:\n" + string.Join("\n", failures));
    }

    /// <summary>Why the outcome of a bad call is wrong, or <see langword="null"/> when it is a proper refusal.</summary>
    private static string? Judge(SweepCase sweepCase, Exception? caught)
    {
        switch (caught)
        {
            case null:
                return "was accepted";
            case ArgumentException argument:
                if (argument.ParamName is not { } name)
                {
                    return $"{caught.GetType().Name} without a parameter name: {Shorten(caught.Message)}";
                }

                if (sweepCase.Field is { } field && !name.StartsWith(field, StringComparison.Ordinal))
                {
                    return $"{caught.GetType().Name} names '{name}', not '{field}': {Shorten(caught.Message)}";
                }

                if (!caught.Message.Contains(name, StringComparison.Ordinal))
                {
                    return $"the message does not name '{name}': {Shorten(caught.Message)}";
                }

                return Message(caught);
            case AgentOrchestrationException when sweepCase.Field is null:
                return Message(caught);
            default:
                return $"threw {caught.GetType().FullName}{(sweepCase.Field is null ? string.Empty : $" instead of an argument exception naming '{sweepCase.Field}'")}: {Shorten(caught.Message)}";
        }
    }

    private static string? Message(Exception caught) =>
        caught.Message.Length > MaxMessageLength ? $"a message of {caught.Message.Length} characters (the value is not shortened)"
        : caught.Message.Contains('\0', StringComparison.Ordinal) ? "the message carries a NUL"
        : null;

    private static string Shorten(string message) => message.Length <= 300 ? message : message[..300] + "…";

    /// <summary>SQL in names, titles and descriptions is data: each comes back exactly as given and every table is still there.</summary>
    private async Task<int> SqlTextIsStoredVerbatimAsync(IServiceProvider services, OrchestrationFaker faker, SweepWorld world)
    {
        var breaks = new Breaks(new Faker { Random = new Randomizer(Seed + 1) });
        var stored = 0;
        await using var scope = services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        await using var db = CreateContext();
        var tables = await RawSql.TablesAsync(db);

        var title = breaks.Sql();
        var description = breaks.Sql() + "\n" + breaks.Sql();
        var item = await sp.GetRequiredService<IWorkItemService>().CreateWorkItemAsync(faker.Task(world.A.Id, world.StoryA.Id, i => { i.Title = title; i.Description = description; }));
        var read = await sp.GetRequiredService<IWorkItemService>().GetWorkItemAsync(item.Id);
        Assert.That((read!.Title, read.Description), Is.EqualTo((title, description)));
        stored += 2;

        var name = breaks.Sql();
        var agent = await sp.GetRequiredService<IAgentRegistry>().RegisterAsync(faker.Agent(r => { r.Name = name; r.Metadata = [new() { Key = breaks.Sql(), Value = breaks.Sql() }]; }));
        var agentRead = await sp.GetRequiredService<IAgentRegistry>().GetAsync(agent.Slug);
        Assert.That((agentRead.Name, agentRead.Metadata![0].Key, agentRead.Metadata[0].Value), Is.EqualTo((name, agent.Metadata![0].Key, agent.Metadata[0].Value)));
        stored += 3;

        var backlogTitle = breaks.Sql();
        var backlogItem = await sp.GetRequiredService<IBacklogService>().SubmitAsync(faker.BacklogSubmission(world.A.Id) with { Title = backlogTitle, CreatedBy = breaks.Sql() });
        Assert.That((await sp.GetRequiredService<IBacklogService>().GetAsync(backlogItem.Id))!.Title, Is.EqualTo(backlogTitle));
        stored += 2;

        Assert.That(await RawSql.TablesAsync(db), Is.EqualTo(tables), "no table was dropped");
        Assert.That(await RawSql.CountAsync(db, "projects"), Is.EqualTo(2), "no project was deleted");
        return stored;
    }

    private async Task<string> DumpAsync()
    {
        await using var db = CreateContext();
        return await DatabaseDump.AllRowsAsync(db);
    }
}
