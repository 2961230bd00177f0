namespace AgentOrchestration.Dashboard;

/// <summary>
/// The dashboard's command line: the console sample's database options (so both open the same database) plus
/// ASP.NET Core's <c>--urls</c>. Everything else is refused, so a typo never silently watches the wrong database.
/// </summary>
internal sealed record DashboardOptions
{
    /// <summary>Where the page listens when <c>--urls</c> is not given: loopback only, so nothing is exposed by default.</summary>
    public const string DefaultUrls = "http://127.0.0.1:5080";

    /// <summary>The console sample's default SQLite file, in the working folder.</summary>
    public const string DefaultSqliteFile = "agent-orchestration-sample.db";

    public static readonly string Usage = """
        AgentOrchestration.Dashboard: a live web dashboard over an AgentOrchestration.Data database (read-only).

        Usage:
          dotnet run --project samples/AgentOrchestration.Dashboard -- [options]

        Options:
          --provider <sqlite|postgres>   the database (default: sqlite)
          --db <path>                    the SQLite file (default: agent-orchestration-sample.db in the working folder,
                                         the console sample's default)
          --connection <string>          the PostgreSQL connection string (required with --provider postgres)
          --urls <urls>                  where to listen (default: http://127.0.0.1:5080; loopback only)
          --telemetry <console|otlp>     export the library's traces, metrics and logs with OpenTelemetry: to the console,
                                         or over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT, default http://localhost:4317); off by default
          -h, --help                     show this help

        Open the printed address in a browser. The page follows the latest project; add ?project=<id> to pick one.
        JSON: /api/projects, /api/snapshot?project=<id>, /api/events?project=<id>&after=<sequence>, /api/health, and the live
        stream /api/stream?project=<id> (server-sent events).
        """;

    public bool Help { get; init; }

    public bool PostgreSql { get; init; }

    public string SqlitePath { get; init; } = Path.Combine(Environment.CurrentDirectory, DefaultSqliteFile);

    public string? Connection { get; init; }

    public string Urls { get; init; } = DefaultUrls;

    /// <summary>Gets where OpenTelemetry exports to; <see cref="TelemetryExporter.None"/> (off) by default.</summary>
    public TelemetryExporter Telemetry { get; init; }

    /// <summary>Parses <paramref name="args"/>; throws <see cref="FormatException"/> with a message for the user on bad input.</summary>
    public static DashboardOptions Parse(IReadOnlyList<string> args)
    {
        var options = new DashboardOptions();
        string? provider = null, db = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Value() => i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)
                ? args[++i]
                : throw new FormatException($"The option '{arg}' needs a value.");

            options = arg switch
            {
                "-h" or "--help" => options with { Help = true },
                "--provider" => options with { PostgreSql = (provider = Value()) switch
                {
                    "sqlite" => false,
                    "postgres" or "postgresql" => true,
                    var other => throw new FormatException($"The provider '{other}' is not known: use 'sqlite' or 'postgres'."),
                } },
                "--telemetry" => options with { Telemetry = Value() switch
                {
                    "console" => TelemetryExporter.Console,
                    "otlp" => TelemetryExporter.Otlp,
                    var other => throw new FormatException($"The telemetry exporter '{other}' is not known: use 'console' or 'otlp'."),
                } },
                "--db" => options with { SqlitePath = Path.GetFullPath(db = Value()) },
                "--connection" => options with { Connection = Value() },
                "--urls" => options with { Urls = Value() },
                _ => throw new FormatException($"The argument '{arg}' is not known: see --help."),
            };
        }

        if (options.PostgreSql && string.IsNullOrWhiteSpace(options.Connection))
        {
            throw new FormatException("--provider postgres needs --connection \"Host=...;Database=...;Username=...\".");
        }

        if (options.PostgreSql && db is not null)
        {
            throw new FormatException("--db picks the SQLite file; with --provider postgres use --connection.");
        }

        if (!options.PostgreSql && options.Connection is not null)
        {
            throw new FormatException($"--connection is for PostgreSQL (--provider postgres); the provider is {provider ?? "sqlite (the default)"}, which takes --db <path>.");
        }

        return options;
    }
}
