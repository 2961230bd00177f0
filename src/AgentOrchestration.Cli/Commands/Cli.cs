using System.CommandLine;
using AgentOrchestration.Cli.Hosting;
using AgentOrchestration.Cli.Output;

namespace AgentOrchestration.Cli.Commands;

/// <summary>The command tree and the one way every command runs: resolve the database, open (and migrate) it, act, print, map refusals.</summary>
internal static class Cli
{
    public static readonly Option<string?> Db = new("--db") { Description = "SQLite database file (implies --provider sqlite)", Recursive = true };
    public static readonly Option<string?> ProviderOption = new("--provider") { Description = "sqlite or postgres", Recursive = true };
    public static readonly Option<string?> Connection = new("--connection") { Description = "Connection string for the provider", Recursive = true };
    public static readonly Option<string?> Project = new("--project") { Description = "Project key (default: AGENTS_PROJECT, .agents.json, or the only project)", Recursive = true };
    public static readonly Option<bool> Json = new("--json") { Description = "Print exactly one JSON document (snake_case fields)", Recursive = true };

    public static RootCommand Build()
    {
        var root = new RootCommand("agents: claim work with leases, lock files, heartbeat sessions, record QA and follow events (AgentOrchestration.Data).");
        root.Options.Add(Db);
        root.Options.Add(ProviderOption);
        root.Options.Add(Connection);
        root.Options.Add(Project);
        root.Options.Add(Json);
        root.Subcommands.Add(SetupCommands.Init());
        root.Subcommands.Add(SetupCommands.Agent());
        root.Subcommands.Add(WorkCommands.Work());
        foreach (var command in WorkCommands.Leases())
        {
            root.Subcommands.Add(command);
        }

        root.Subcommands.Add(SessionCommands.Session());
        root.Subcommands.Add(SessionCommands.Lock());
        root.Subcommands.Add(SessionCommands.Qa());
        root.Subcommands.Add(SetupCommands.Backlog());
        root.Subcommands.Add(StatusCommands.Events());
        root.Subcommands.Add(StatusCommands.Status());
        root.Subcommands.Add(McpCommand.Create());
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var root = Build();
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // One line, like every refusal: the first parse error, and where to look.
            var json = parsed.Tokens.Any(t => t.Value == "--json");
            var error = parsed.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parsed.Errors[0];
            return Printer.Refused(json, new Refusal(ExitCodes.InvalidInput, "invalid_input", $"{error.Message} (see 'agents {CommandPath(parsed)}--help')"));
        }

        return await parsed.InvokeAsync().ConfigureAwait(false);
    }

    /// <summary>Resolves the database for a parse result: flags, then environment, then .agents.json, then the default.</summary>
    public static DatabaseSettings Settings(ParseResult parse, string? agent = null, string? session = null) =>
        DatabaseSettings.Resolve(
            new DatabaseSettings.Layer("command line", parse.GetValue(ProviderOption), parse.GetValue(Db), parse.GetValue(Connection), parse.GetValue(Project), agent, session, Environment.CurrentDirectory),
            Environment.GetEnvironmentVariable,
            Environment.CurrentDirectory);

    /// <summary>Runs a command against the database: <paramref name="act"/> returns the JSON view and its human line.</summary>
    public static void Action<T>(Command command, Func<ParseResult, Orchestration, CancellationToken, Task<(T View, string Human)>> act, int successCode = ExitCodes.Ok, Func<T, int>? exitCode = null) =>
        command.SetAction(async (parse, ct) =>
        {
            var json = parse.GetValue(Json);
            try
            {
                await using var orchestration = await Orchestration.OpenAsync(Settings(parse), ct).ConfigureAwait(false);
                var (view, human) = await act(parse, orchestration, ct).ConfigureAwait(false);
                Printer.Success(json, view, human);
                return exitCode?.Invoke(view) ?? successCode;
            }
            catch (Exception exception)
            {
                return Printer.Refused(json, Refusal.From(exception));
            }
        });

    public static TimeSpan? Duration(ParseResult parse, Option<string?> option) =>
        parse.GetValue(option) is { } value ? Names.Duration(value, option.Name) : null;

    private static string CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (var result = parsed.CommandResult; result is not null && result.Command is not RootCommand; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, result.Command.Name);
        }

        return names.Count == 0 ? string.Empty : string.Join(' ', names) + " ";
    }
}
