using System.CommandLine;
using System.Text;
using System.Text.RegularExpressions;
using AgentOrchestration.Cli.Hosting;
using AgentOrchestration.Cli.Output;
using AgentOrchestration.Data;
using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Backlog;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Cli.Commands;

/// <summary><c>init</c>, <c>agent</c> and <c>backlog</c>.</summary>
internal static partial class SetupCommands
{
    public static Command Init()
    {
        var name = new Option<string?>("--name") { Description = "Project display name (default: the key)" };
        var noConfig = new Option<bool>("--no-config") { Description = "Do not write .agents.json" };
        var command = new Command("init", "Create or upgrade the database and the project; writes .agents.json at the repository root if there is none") { name, noConfig };
        Cli.Action(command, async (parse, o, ct) =>
        {
            var settings = o.Settings;
            var key = settings.Project ?? DefaultKey(settings.Root);
            var existing = await o.ReadAsync(db => db.Projects.SingleOrDefaultAsync(p => p.Key == key, ct));
            var created = existing is null;
            var project = existing ?? await CreateProjectAsync(o, key, parse.GetValue(name) ?? key, ct);

            string? configFile = settings.ConfigFile;
            var written = false;
            if (configFile is null && !parse.GetValue(noConfig))
            {
                configFile = Path.Combine(settings.Root, DatabaseSettings.ConfigFileName);
                var config = new ConfigFile { Project = key };
                if (parse.GetValue(Cli.Db) is { } db)
                {
                    config.Db = Path.GetRelativePath(settings.Root, Path.GetFullPath(db));
                }

                config.Write(configFile);
                written = true;
            }

            if (settings.Source == "default")
            {
                // The default database lives in the repository: keep it out of commits.
                File.WriteAllText(Path.Combine(settings.Root, DatabaseSettings.DefaultFolder, ".gitignore"), "*\n");
            }

            var where = settings.SqlitePath ?? "(connection string)";
            var view = new InitView(Names.Of(settings.Provider), where, settings.Source, configFile, written, ProjectView.Of(project), created, o.Applied);
            return (view, $"ready: {Names.Of(settings.Provider)} database {where}, project '{project.Key}' ({(created ? "created" : "existing")}), {o.Applied.Count} migrations applied{(written ? $", wrote {configFile}" : string.Empty)}");
        });
        return command;
    }

    public static Command Agent()
    {
        var slug = new Argument<string>("slug") { Description = "Unique slug: lowercase letters and digits joined by dashes, such as backend-1" };
        var name = new Option<string?>("--name") { Description = "Display name (default: the slug)" };
        var type = new Option<string>("--type") { Description = "Agent type", DefaultValueFactory = _ => "engineer" };
        var mode = new Option<string>("--mode") { Description = "Working mode", DefaultValueFactory = _ => "implementation" };
        var capability = new Option<string[]>("--capability", "-c") { Description = "A capability NAME or NAME:PROFICIENCY (1-5); repeat for more", AllowMultipleArgumentsPerToken = false };
        var maxTasks = new Option<int>("--max-tasks") { Description = "Assignments the agent may hold at once (1-1000)", DefaultValueFactory = _ => 1 };
        var description = new Option<string?>("--description") { Description = "What the agent does" };
        var register = new Command("register", "Register an agent profile") { slug, name, type, mode, capability, maxTasks, description };
        Cli.Action(register, async (parse, o, ct) =>
        {
            var registration = new AgentRegistration
            {
                Slug = parse.GetValue(slug)!,
                Name = parse.GetValue(name) ?? parse.GetValue(slug)!,
                Type = parse.GetValue(type)!,
                Mode = parse.GetValue(mode)!,
                Description = parse.GetValue(description),
                MaxConcurrentTasks = parse.GetValue(maxTasks),
                Capabilities = [.. (parse.GetValue(capability) ?? []).Select(Capability)],
            };
            var agent = AgentView.Of(await o.WithAsync<IAgentRegistry, AgentProfile>(r => r.RegisterAsync(registration, ct)));
            return (agent, $"registered agent '{agent.Slug}' ({agent.Id})");
        });

        var list = new Command("list", "List agent profiles");
        Cli.Action(list, async (_, o, ct) =>
        {
            var agents = await o.ReadAsync(db => db.AgentProfiles.Include(a => a.CapabilityRecords).OrderBy(a => a.Slug).ToListAsync(ct));
            var views = agents.Select(AgentView.Of).ToList();
            return (new { agents = views }, views.Count == 0 ? "no agents" : string.Join('\n', views.Select(Line)));
        });

        var who = new Argument<string>("agent") { Description = "The agent's slug or id" };
        var show = new Command("show", "Show one agent profile") { who };
        Cli.Action(show, async (parse, o, ct) =>
        {
            var agent = AgentView.Of(await o.AgentAsync(parse.GetValue(who), ct));
            return (agent, Line(agent));
        });

        return new Command("agent", "Agent profiles") { register, list, show };

        static string Line(AgentView a) =>
            $"{a.Slug} ({a.Id}) {a.Status}, {a.Type}/{a.Mode}, max {a.MaxConcurrentTasks}, capabilities: {(a.Capabilities.Count == 0 ? "none" : string.Join(", ", a.Capabilities.Select(c => $"{c.Name}:{c.Proficiency}")))}";
    }

    public static Command Backlog() =>
        new("backlog", "The backlog: ideas analysed and promoted to stories") { BacklogAdd(), BacklogAnalyze(), BacklogPromote() };

    /// <summary><c>backlog add</c>: an idea submitted to the backlog.</summary>
    private static Command BacklogAdd()
    {
        var title = new Argument<string>("title") { Description = "The idea's title" };
        var description = new Option<string>("--description") { Description = "What and why", Required = true };
        var criteria = new Option<string>("--criteria") { Description = "Success criteria", Required = true };
        var priority = new Option<int>("--priority") { Description = "1 critical to 5 nice to have", DefaultValueFactory = _ => 3 };
        var value = new Option<int>("--value") { Description = "Business value 1-10", DefaultValueFactory = _ => 5 };
        var complexity = new Option<string?>("--complexity") { Description = "simple, moderate, complex or high_risk" };
        var by = new Option<string?>("--by") { Description = "Who submits it (default: user)" };
        var add = new Command("add", "Add an idea to the backlog") { title, description, criteria, priority, value, complexity, by };
        Cli.Action(add, async (parse, o, ct) =>
        {
            var project = await o.ProjectAsync(ct);
            var submission = new BacklogSubmission(project.Id, parse.GetValue(title)!, parse.GetValue(description)!, parse.GetValue(criteria)!)
            {
                Priority = parse.GetValue(priority),
                BusinessValue = parse.GetValue(value),
                Complexity = parse.GetValue(complexity) is { } c ? Names.Parse<Complexity>(c, "complexity") : Complexity.Moderate,
                CreatedBy = parse.GetValue(by) ?? "user",
            };
            var item = BacklogView.Of(await o.WithAsync<IBacklogService, BacklogItem>(b => b.SubmitAsync(submission, ct)));
            return (item, $"added backlog item {item.Id} '{item.Title}' (risk {item.RiskScore})");
        });

        return add;
    }

    /// <summary><c>backlog analyze</c>: an analysis recorded (taking the item first if needed), optionally concluded.</summary>
    private static Command BacklogAnalyze()
    {
        var id = new Argument<string>("backlog-item") { Description = "The backlog item's id" };
        var agent = new Option<string?>("--agent") { Description = "The analysing agent (default: AGENTS_AGENT)" };
        var risk = new Option<int?>("--risk") { Description = "Risk score 0-100 (default: the risk strategy's)" };
        var revised = new Option<string?>("--complexity") { Description = "Revised complexity" };
        var notes = new Option<string?>("--notes") { Description = "Analysis notes" };
        var ready = new Option<bool>("--ready") { Description = "Conclude: ready to promote" };
        var block = new Option<string?>("--block") { Description = "Conclude: blocked, with the reason" };
        var analyze = new Command("analyze", "Take a backlog item for analysis (if not already), record the analysis, and optionally conclude it") { id, agent, risk, revised, notes, ready, block };
        Cli.Action(analyze, async (parse, o, ct) =>
        {
            var itemId = Names.Id(parse.GetValue(id)!, "backlog item");
            var who = parse.GetValue(agent) ?? o.Settings.Agent ?? throw new InputException("no agent given: pass --agent or set AGENTS_AGENT");
            if (parse.GetValue(ready) && parse.GetValue(block) is not null)
            {
                throw new InputException("--ready and --block conclude the analysis two ways; pass one");
            }

            var analysis = new BacklogAnalysis(who)
            {
                RiskScore = parse.GetValue(risk),
                Complexity = parse.GetValue(revised) is { } c ? Names.Parse<Complexity>(c, "complexity") : null,
                PrimeNotes = parse.GetValue(notes),
            };
            var item = await o.WithAsync<IBacklogService, BacklogItem?>(b => b.GetAsync(itemId, ct)) ?? throw new EntityNotFoundException("backlog item", itemId);
            if (item.Status != BacklogStatus.Analyzing)
            {
                await o.WithAsync<IBacklogService, BacklogItem>(b => b.StartAnalysisAsync(itemId, who, ct));
            }

            item = await o.WithAsync<IBacklogService, BacklogItem>(b => b.RecordAnalysisAsync(itemId, analysis, ct));
            if (parse.GetValue(ready))
            {
                item = await o.WithAsync<IBacklogService, BacklogItem>(b => b.MarkReadyAsync(itemId, who, null, ct));
            }
            else if (parse.GetValue(block) is { } reason)
            {
                item = await o.WithAsync<IBacklogService, BacklogItem>(b => b.BlockAsync(itemId, who, reason, ct));
            }

            var view = BacklogView.Of(item);
            return (view, $"backlog item {view.Id} is {view.Status} (risk {view.RiskScore}, {view.Complexity})");
        });

        return analyze;
    }

    /// <summary><c>backlog promote</c>: a ready idea promoted to a story, optionally approved.</summary>
    private static Command BacklogPromote()
    {
        var promoteId = new Argument<string>("backlog-item") { Description = "The ready backlog item's id" };
        var promoter = new Option<string?>("--agent") { Description = "The promoting agent (default: AGENTS_AGENT)" };
        var epic = new Option<string?>("--epic") { Description = "Epic id the story belongs to" };
        var sprint = new Option<string?>("--sprint") { Description = "Sprint id to plan the story into" };
        var hours = new Option<decimal?>("--hours") { Description = "Estimated hours" };
        var approve = new Option<bool>("--approve") { Description = "Also record the agent's approval of the story" };
        var promote = new Command("promote", "Promote a ready backlog item to a story") { promoteId, promoter, epic, sprint, hours, approve };
        Cli.Action(promote, async (parse, o, ct) =>
        {
            var itemId = Names.Id(parse.GetValue(promoteId)!, "backlog item");
            var who = parse.GetValue(promoter) ?? o.Settings.Agent ?? throw new InputException("no agent given: pass --agent or set AGENTS_AGENT");
            var promotion = new BacklogPromotion(who)
            {
                EpicId = parse.GetValue(epic) is { } e ? Names.Id(e, "epic") : null,
                SprintId = parse.GetValue(sprint) is { } s ? Names.Id(s, "sprint") : null,
                EstimatedHours = parse.GetValue(hours),
            };
            var story = await o.WithAsync<IBacklogService, WorkItem>(b => b.PromoteAsync(itemId, promotion, ct));
            if (parse.GetValue(approve))
            {
                story = await o.WithAsync<IBacklogService, WorkItem>(b => b.ApproveStoryAsync(story.Id, who, ct));
            }

            var item = await o.WithAsync<IBacklogService, BacklogItem?>(b => b.GetAsync(itemId, ct));
            var view = new PromotedView(BacklogView.Of(item!), WorkView.Of(story));
            return (view, $"promoted backlog item {itemId} to story {story.Id} '{story.Title}'");
        });

        return promote;
    }

    private static async Task<Project> CreateProjectAsync(Orchestration o, string key, string name, CancellationToken ct)
    {
        try
        {
            return await o.WithAsync<IWorkItemService, Project>(w => w.CreateProjectAsync(key, name, null, ct));
        }
        catch (DuplicateValueException)
        {
            // Another init created it in between: use that one.
            return await o.ReadAsync(db => db.Projects.SingleAsync(p => p.Key == key, ct));
        }
    }

    private static CapabilityEntry Capability(string value)
    {
        var parts = value.Split(':');
        return parts.Length switch
        {
            1 => new CapabilityEntry { Name = parts[0] },
            2 when int.TryParse(parts[1], out var level) => new CapabilityEntry { Name = parts[0], Proficiency = level },
            _ => throw new InputException($"capability '{DatabaseSettings.Shorten(value)}' is malformed; write NAME or NAME:PROFICIENCY such as csharp:4"),
        };
    }

    /// <summary>A project key from the repository's folder name: lowercase letters and digits joined by single dashes.</summary>
    private static string DefaultKey(string root)
    {
        var key = NotKey().Replace(Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar)).ToLowerInvariant().Normalize(NormalizationForm.FormKD), "-").Trim('-');
        key = key.Length > 64 ? key[..64].Trim('-') : key;
        return key.Length == 0 ? "default" : key;
    }

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NotKey();
}
