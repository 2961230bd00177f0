using System.Globalization;

namespace AgentOrchestration.Sample;

/// <summary>The sample's command line: what to run, on which database, at what scale.</summary>
internal sealed record SampleOptions
{
    public const string Usage = """
        AgentOrchestration.Sample: a team of simulated AI agents coordinated through AgentOrchestration.Data.

        Usage:
          dotnet run --project samples/AgentOrchestration.Sample -- [dashboard] [options]

        Modes:
          (none)       run the scenario: backlog analysis, a sprint of tasks with dependencies, agents claiming work,
                       locking files and heartbeating, one agent crashing (with two or more agents) and the reaper
                       returning its work, QA failing
                       a task and passing it after remediation, the sprint completing; then print a summary
          dashboard    only watch a database that other processes work on (Ctrl+C to stop)

        Options:
          --provider <sqlite|postgres>   the database (default: sqlite)
          --db <path>                    the SQLite file (default: agent-orchestration-sample.db in the working folder)
          --connection <string>          the PostgreSQL connection string (required with --provider postgres)
          --agents <1-32>                simulated agents working in parallel (default: 4)
          --tasks <2-500>                tasks in the sprint (default: 12)
          --plain                        plain lines instead of the live dashboard (automatic when output is redirected)
          --telemetry <console|otlp>     export the library's traces, metrics and logs with OpenTelemetry: to the console,
                                         or over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT, default http://localhost:4317); off by default
          -h, --help                     show this help

        Exit codes: 0 the scenario completed and the summary matches the database; 1 it did not; 2 bad options.
        """;

    public bool Help { get; init; }

    public bool DashboardOnly { get; init; }

    public bool PostgreSql { get; init; }

    public string SqlitePath { get; init; } = Path.Combine(Environment.CurrentDirectory, "agent-orchestration-sample.db");

    public string? Connection { get; init; }

    public int Agents { get; init; } = 4;

    public int Tasks { get; init; } = 12;

    public bool Plain { get; init; }

    /// <summary>Gets where OpenTelemetry exports to; <see cref="TelemetryExporter.None"/> (off) by default.</summary>
    public TelemetryExporter Telemetry { get; init; }

    /// <summary>Parses <paramref name="args"/>; throws <see cref="FormatException"/> with a message for the user on bad input.</summary>
    public static SampleOptions Parse(IReadOnlyList<string> args)
    {
        var options = new SampleOptions();
        string? provider = null, db = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Value() => i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)
                ? args[++i]
                : throw new FormatException($"The option '{arg}' needs a value.");
            int Number(int min, int max)
            {
                var text = Value();
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
                    ? n
                    : throw new FormatException($"The option '{arg}' takes a whole number from {min} to {max}, not '{text}'.");
            }

            options = arg switch
            {
                "-h" or "--help" => options with { Help = true },
                "dashboard" when i == 0 => options with { DashboardOnly = true },
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
                "--agents" => options with { Agents = Number(1, 32) },
                "--tasks" => options with { Tasks = Number(2, 500) },
                "--plain" => options with { Plain = true },
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
