using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentOrchestration.Cli.Hosting;

/// <summary>The database providers the tool speaks.</summary>
internal enum Provider
{
    Sqlite,
    Postgres,
}

/// <summary>
/// Where the tool's database is and which project it works in, resolved from (highest first) the command line, the
/// environment, the nearest <c>.agents.json</c> (walking up from the working folder to the git root), and the default:
/// SQLite in <c>.agents/agents.db</c> at the git root (or the working folder outside a repository).
/// </summary>
/// <remarks>
/// The highest source that names a database (<c>db</c> or <c>connection</c>) wins whole, so a <c>--db</c> on the command
/// line is never paired with a PostgreSQL provider from the config file. A provider alone changes nothing until some
/// source gives its connection.
/// </remarks>
internal sealed record DatabaseSettings(Provider Provider, string ConnectionString, string Source, string? SqlitePath, string? Project, string? Agent, string? Session, string Root, string? ConfigFile, ConfigFile? Config)
{
    public const string ConfigFileName = ".agents.json";
    public const string DefaultFolder = ".agents";
    public const string DefaultDatabase = "agents.db";

    /// <summary>The values one source gives; any may be missing.</summary>
    internal sealed record Layer(string Name, string? Provider, string? Db, string? Connection, string? Project, string? Agent, string? Session, string BaseFolder);

    public static DatabaseSettings Resolve(Layer flags, Func<string, string?> environment, string workingFolder)
    {
        var root = FindRoot(workingFolder);
        var configPath = FindConfig(workingFolder, root);
        var config = configPath is null ? null : Hosting.ConfigFile.Read(configPath);
        var layers = new List<Layer>
        {
            flags,
            new("environment", environment("AGENTS_PROVIDER"), environment("AGENTS_DB"), environment("AGENTS_CONNECTION"), environment("AGENTS_PROJECT"), environment("AGENTS_AGENT"), environment("AGENTS_SESSION"), workingFolder),
        };
        if (config is not null)
        {
            layers.Add(new(configPath!, config.Provider, config.Db, config.Connection, config.Project, config.Agent, null, Path.GetDirectoryName(configPath)!));
        }

        string? First(Func<Layer, string?> pick) => layers.Select(pick).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
        var namedProvider = First(l => l.Provider) is { } p ? ParseProvider(p) : (Provider?)null;
        var project = First(l => l.Project);
        var agent = First(l => l.Agent);
        var session = First(l => l.Session);

        var source = layers.FirstOrDefault(l => !string.IsNullOrWhiteSpace(l.Db) || !string.IsNullOrWhiteSpace(l.Connection));
        if (source is null)
        {
            if (namedProvider == Provider.Postgres)
            {
                throw new InputException("provider 'postgres' needs a connection string: pass --connection, set AGENTS_CONNECTION or put \"connection\" in .agents.json");
            }

            var path = Path.Combine(root, DefaultFolder, DefaultDatabase);
            return new(Provider.Sqlite, SqliteConnection(path), "default", path, project, agent, session, root, configPath, config);
        }

        if (!string.IsNullOrWhiteSpace(source.Db))
        {
            if (!string.IsNullOrWhiteSpace(source.Provider) && ParseProvider(source.Provider) != Provider.Sqlite)
            {
                throw new InputException($"'db' names a SQLite file but the provider in {source.Name} is '{source.Provider}'; use 'connection' for PostgreSQL");
            }

            var path = Path.GetFullPath(source.Db!, source.BaseFolder);
            return new(Provider.Sqlite, SqliteConnection(path), source.Name, path, project, agent, session, root, configPath, config);
        }

        var provider = (string.IsNullOrWhiteSpace(source.Provider) ? (Provider?)null : ParseProvider(source.Provider)) ?? namedProvider ?? Provider.Sqlite;
        return new(provider, source.Connection!, source.Name, null, project, agent, session, root, configPath, config);
    }

    public static Provider ParseProvider(string value) => value.Trim().ToLowerInvariant() switch
    {
        "sqlite" => Provider.Sqlite,
        "postgres" or "postgresql" or "pg" => Provider.Postgres,
        _ => throw new InputException($"provider '{Shorten(value)}' is unknown; use 'sqlite' or 'postgres'"),
    };

    /// <summary>The git root above <paramref name="folder"/> (the folder holding <c>.git</c>), or the folder itself outside a repository.</summary>
    public static string FindRoot(string folder)
    {
        for (var dir = new DirectoryInfo(folder); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, ".git")) || File.Exists(Path.Combine(dir.FullName, ".git")))
            {
                return dir.FullName;
            }
        }

        return Path.GetFullPath(folder);
    }

    private static string? FindConfig(string folder, string root)
    {
        for (var dir = new DirectoryInfo(folder); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ConfigFileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }

            if (string.Equals(dir.FullName.TrimEnd(Path.DirectorySeparatorChar), root.TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
            {
                break;
            }
        }

        return null;
    }

    private static string SqliteConnection(string path) => $"Data Source={path}";

    internal static string Shorten(string value) => value.Length <= 80 ? value : value[..77] + "...";
}

/// <summary>The repository's <c>.agents.json</c>: where the database is, the default project and agent, and the QA policy.</summary>
internal sealed class ConfigFile
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    /// <summary>Gets or sets the provider: <c>sqlite</c> or <c>postgres</c>.</summary>
    public string? Provider { get; set; }

    /// <summary>Gets or sets the SQLite file, relative to the config file's folder.</summary>
    public string? Db { get; set; }

    /// <summary>Gets or sets the connection string (keep secrets in the AGENTS_CONNECTION variable instead).</summary>
    public string? Connection { get; set; }

    /// <summary>Gets or sets the default project key.</summary>
    public string? Project { get; set; }

    /// <summary>Gets or sets the default agent slug.</summary>
    public string? Agent { get; set; }

    /// <summary>Gets or sets the QA types required per oversight level (<c>standard</c>, <c>enhanced</c>, <c>strict</c>, <c>direct</c>); unset levels keep the library's defaults.</summary>
    public Dictionary<string, List<string>>? Qa { get; set; }

    public static ConfigFile Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ConfigFile>(File.ReadAllText(path), Options) ?? new ConfigFile();
        }
        catch (JsonException exception)
        {
            throw new InputException($"{path} is not a valid config file: {exception.Message.Split('\n')[0]}");
        }
    }

    public void Write(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Options) + "\n");
}
