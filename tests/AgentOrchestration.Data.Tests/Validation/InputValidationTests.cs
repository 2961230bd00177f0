using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Tests.Infrastructure;
using AgentOrchestration.Data.Work;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Validation;

/// <summary>
/// The bad inputs that were stored, or refused with a raw provider error, before validation had one place per type
/// (reliability issue item 2), each named here; the sweep covers them and every other field.
/// </summary>
public sealed class InputValidationTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private ServiceProvider services = null!;
    private OrchestrationFaker faker = null!;
    private Project project = null!;

    protected override bool StartsMigrated => true;

    [SetUp]
    public async Task CreateServicesAsync()
    {
        await (await MigratedContextAsync()).DisposeAsync();
        services = OrchestrationServices.Create(Database);
        faker = new OrchestrationFaker(20261303);
        project = await Use<IWorkItemService, Project>(w => w.CreateProjectAsync(faker.Project()));
    }

    [TearDown]
    public async Task DisposeServicesAsync() => await services.DisposeAsync();

    [Test]
    public async Task A_story_under_a_story_is_refused_naming_the_parent_and_what_is_allowed()
    {
        var epic = await Use<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(faker.Epic(project.Id)));
        var story = await Use<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(faker.Story(project.Id, epic.Id)));
        var before = await DumpAsync();

        var refused = Assert.ThrowsAsync<ArgumentException>(() => Use<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(faker.Story(project.Id, story.Id))));
        Assert.Multiple(async () =>
        {
            Assert.That(refused!.ParamName, Is.EqualTo("item.ParentId"));
            Assert.That(refused.Message, Does.Contain($"'{story.Id}' is a story").And.Contain("Allowed: epic"));
            Assert.That(await DumpAsync(), Is.EqualTo(before));
        });

        // A task under that story is fine.
        await Use<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(faker.Task(project.Id, story.Id)));
    }

    [Test]
    public async Task A_ten_thousand_character_actor_is_refused_with_a_short_message_on_both_providers()
    {
        var agent = await Use<IAgentRegistry, AgentProfile>(r => r.RegisterAsync(faker.Agent(a => a.Capabilities = [new CapabilityEntry { Name = "csharp" }])));
        await Use<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(faker.Task(project.Id, configure: i => i.RequiredCapabilities = ["csharp"])));
        var actor = new string('a', 10_000);
        var before = await DumpAsync();

        var refused = Assert.ThrowsAsync<ArgumentException>(() => Use<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(agent.Id, project.Id, new ClaimOptions { Actor = actor })));
        Assert.Multiple(async () =>
        {
            Assert.That(refused!.ParamName, Is.EqualTo("options.Actor"));
            Assert.That(refused.Message, Does.Contain("… (10000 characters)").And.Contain("1 to 200 characters"));
            Assert.That(refused.Message, Has.Length.LessThan(400), "the value is shortened");
            Assert.That(await DumpAsync(), Is.EqualTo(before), "nothing claimed");
        });
    }

    [Test]
    public async Task A_nul_in_a_name_or_title_is_refused_while_tabs_and_line_breaks_in_free_text_are_stored_as_given()
    {
        var before = await DumpAsync();
        var name = Assert.ThrowsAsync<ArgumentException>(() => Use<IWorkItemService, Project>(w => w.CreateProjectAsync(faker.Project() with { Name = "shop\0" })));
        var title = Assert.ThrowsAsync<ArgumentException>(() => Use<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(faker.Task(project.Id, configure: i => i.Title = "a\u0001b"))));
        var description = Assert.ThrowsAsync<ArgumentException>(() => Use<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(faker.Task(project.Id, configure: i => i.Description = "text\0"))));
        Assert.Multiple(async () =>
        {
            Assert.That((name!.ParamName, title!.ParamName, description!.ParamName), Is.EqualTo(("name", "item.Title", "item.Description")));
            Assert.That(name.Message, Does.Contain("'shop\\u0000'").And.Contain("U+0000"), "the NUL is shown escaped");
            Assert.That(await DumpAsync(), Is.EqualTo(before));
        });

        const string markdown = "Steps:\n\t1. export\r\n\t2. check";
        var stored = await Use<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(faker.Task(project.Id, configure: i => i.Description = markdown)));
        Assert.That((await Use<IWorkItemService, WorkItem?>(w => w.GetWorkItemAsync(stored.Id)))!.Description, Is.EqualTo(markdown));
    }

    [Test]
    public async Task Hours_with_more_decimals_than_the_column_holds_are_refused_not_rounded()
    {
        var before = await DumpAsync();
        var refused = Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Use<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(faker.Task(project.Id, configure: i => i.EstimatedHours = 1.005m))));
        Assert.That(refused!.ParamName, Is.EqualTo("item.EstimatedHours"));
        Assert.That(refused.Message, Does.Contain("1.005 has more decimals than are stored").And.Contain("at most 2 decimals"));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Use<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(faker.Task(project.Id, configure: i => i.EstimatedHours = 1_000_000m))));
        Assert.That(await DumpAsync(), Is.EqualTo(before));

        var stored = await Use<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(faker.Task(project.Id, configure: i => i.EstimatedHours = 1.50m)));
        Assert.That((await Use<IWorkItemService, WorkItem?>(w => w.GetWorkItemAsync(stored.Id)))!.EstimatedHours, Is.EqualTo(1.5m));
    }

    [Test]
    public async Task A_null_entry_in_an_agents_json_lists_is_refused_and_the_agent_stays_readable()
    {
        var agent = await Use<IAgentRegistry, AgentProfile>(r => r.RegisterAsync(faker.Agent()));
        var before = await DumpAsync();
        var metadata = Assert.ThrowsAsync<ArgumentNullException>(() => Use<IAgentRegistry, AgentProfile>(r => r.UpdateAsync(agent.Slug, new AgentProfileUpdate { Metadata = [new MetadataEntry { Key = "k" }, null!] })));
        var tools = Assert.ThrowsAsync<ArgumentNullException>(() => Use<IAgentRegistry, AgentProfile>(r => r.RegisterAsync(faker.Agent(a => a.Tools = [null!]))));
        Assert.Multiple(async () =>
        {
            Assert.That(metadata!.ParamName, Is.EqualTo("update.Metadata[1]"));
            Assert.That(tools!.ParamName, Is.EqualTo("registration.Tools[0]"));
            Assert.That(await DumpAsync(), Is.EqualTo(before));
        });

        var read = await Use<IAgentRegistry, AgentProfile>(r => r.GetAsync(agent.Slug));
        Assert.That(read.Metadata, Has.Count.EqualTo(agent.Metadata!.Count));
    }

    [Test]
    public void Null_required_capabilities_are_refused_naming_the_field_not_linqs_source()
    {
        var refused = Assert.ThrowsAsync<ArgumentNullException>(() => Use<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(faker.Task(project.Id, configure: i => i.RequiredCapabilities = null!))));
        Assert.That(refused!.ParamName, Is.EqualTo("item.RequiredCapabilities"));
    }

    private async Task<TResult> Use<TService, TResult>(Func<TService, Task<TResult>> call)
        where TService : notnull
    {
        await using var scope = services.CreateAsyncScope();
        return await call(scope.ServiceProvider.GetRequiredService<TService>());
    }

    private async Task<string> DumpAsync()
    {
        await using var db = CreateContext();
        return await DatabaseDump.AllRowsAsync(db);
    }
}
