using System.Diagnostics;
using System.Text.Json;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Tests.Cli;

/// <summary>Runs the built tool (src/AgentOrchestration.Cli, agents.dll) as a user's shell or an agent does, on a test database.</summary>
public sealed class CliProcess(TestDatabase database, string folder)
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public JsonElement Json => JsonDocument.Parse(Output).RootElement;

        public override string ToString() => $"exit {ExitCode}\nstdout: {Output}\nstderr: {Error}";
    }

    /// <summary>The repository folder the tool runs in (a fresh git repository).</summary>
    public string Folder { get; } = folder;

    /// <summary>
    /// The tool's agents.dll: the ReadyToRun publish build/test.sh makes of it (AO_TEST_CLI), which starts on about half the
    /// CPU, or else the build beside the tests.
    /// </summary>
    public static string Dll
    {
        get
        {
            var published = System.Environment.GetEnvironmentVariable("AO_TEST_CLI");
            if (!string.IsNullOrEmpty(published))
            {
                Assert.That(File.Exists(published), Is.True, $"AO_TEST_CLI names {published}, which does not exist: unset it or run build/test.sh.");
                return published;
            }

            // Built beside the tests (same artifacts folder and configuration) through the tests' project reference.
            var testsFolder = new DirectoryInfo(AppContext.BaseDirectory);
            var dll = Path.Combine(testsFolder.Parent!.Parent!.FullName, "AgentOrchestration.Cli", testsFolder.Name, "agents.dll");
            Assert.That(File.Exists(dll), Is.True, $"The tool is built at {dll}: build the tests first.");
            return dll;
        }
    }

    /// <summary>The environment that points the tool at the test database (the documented variables).</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["AGENTS_PROVIDER"] = database.Provider == DatabaseProvider.Sqlite ? "sqlite" : "postgres",
        ["AGENTS_CONNECTION"] = database.ConnectionString,
    };

    public static async Task<CliProcess> CreateAsync(TestDatabase database)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"ao-cli-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        await GitAsync(folder, "init", "-q", ".");
        return new CliProcess(database, folder);
    }

    public Task<Result> RunAsync(params string[] args) => RunAsync(null, args);

    public async Task<Result> RunAsync(IReadOnlyDictionary<string, string>? extra, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, WorkingDirectory = Folder };
        start.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        Configure(start, extra);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"agents {string.Join(' ', args)} did not finish within 90 s");
        }

        return new Result(process.ExitCode, (await output).Trim(), (await error).Trim());
    }

    /// <summary>Runs a command that must succeed with --json, and returns its document.</summary>
    public async Task<JsonElement> JsonAsync(params string[] args)
    {
        var result = await RunAsync([.. args, "--json"]);
        Assert.That(result.ExitCode, Is.Zero, $"agents {string.Join(' ', args)}: {result}");
        Assert.That(result.Output.Split('\n'), Has.Length.EqualTo(1), "exactly one JSON document, on one line");
        return result.Json;
    }

    public void Configure(ProcessStartInfo start, IReadOnlyDictionary<string, string>? extra = null)
    {
        foreach (var name in new[] { "AGENTS_DB", "AGENTS_PROJECT", "AGENTS_AGENT", "AGENTS_SESSION" })
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in Environment.Concat(extra ?? new Dictionary<string, string>()))
        {
            start.Environment[name] = value;
        }
    }

    public static async Task<string> GitAsync(string folder, params string[] args)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
        foreach (var arg in new[] { "-c", "user.name=Test", "-c", "user.email=test@example.com" }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.That(process.ExitCode, Is.Zero, $"git {string.Join(' ', args)}: {error}");
        return output;
    }

    /// <summary>Every row of every table, as text: equal before and after means the database is unchanged.</summary>
    public static async Task<List<string>> SnapshotAsync(TestDatabase database)
    {
        await using var db = database.CreateContext();
        var rows = new List<string>();
        foreach (var table in await RawSql.TablesAsync(db))
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = $"SELECT * FROM \"{table}\"";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var values = new object[reader.FieldCount];
                reader.GetValues(values);
                rows.Add(table + ": " + string.Join(" | ", values.Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture))));
            }
        }

        rows.Sort(StringComparer.Ordinal);
        return rows;
    }

    public void Delete()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
