using System.Diagnostics;
using System.Text.Json;
using Npgsql;

namespace AgentOrchestration.Data.Benchmarks;

/// <summary>
/// The job queue a user would pick instead: graphile-worker, installed with npm into a temp folder (never the repo) and
/// run by <c>graphile/drain.mjs</c> on the same PostgreSQL server, each run in a fresh database: the jobs are added in
/// bulk (<c>addJobs</c>), then a worker with the given concurrency is timed until every job has succeeded.
/// </summary>
internal sealed class GraphileWorkerBaseline : IAsyncDisposable
{
    /// <summary>The version served by the package registry this project uses (see the issue).</summary>
    public const string Version = "0.18.0";

    private readonly string directory;

    private GraphileWorkerBaseline(string directory) => this.directory = directory;

    /// <summary>Installs graphile-worker; throws with npm's output when npm or node is missing or the install fails.</summary>
    public static async Task<GraphileWorkerBaseline> InstallAsync()
    {
        var directory = Directory.CreateTempSubdirectory("ao-bench-graphile-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "package.json"), """{ "name": "ao-bench-graphile", "private": true }""");
        var (code, output) = await RunAsync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", $"graphile-worker@{Version}"], directory, TimeSpan.FromMinutes(5));
        if (code != 0)
        {
            Directory.Delete(directory, recursive: true);
            throw new InvalidOperationException($"npm install graphile-worker@{Version} failed (exit {code}): {output}");
        }

        return new GraphileWorkerBaseline(directory);
    }

    public async Task<RunResult> DrainAsync(string admin, int jobs, int concurrency)
    {
        var name = $"ao_bench_gw_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        try
        {
            var b = new NpgsqlConnectionStringBuilder(admin) { Database = name };
            var url = $"postgres://{Uri.EscapeDataString(b.Username ?? "postgres")}{(string.IsNullOrEmpty(b.Password) ? "" : ":" + Uri.EscapeDataString(b.Password))}@{b.Host}:{b.Port}/{name}";
            var script = Path.Combine(AppContext.BaseDirectory, "graphile", "drain.mjs");
            var (code, output) = await RunAsync("node", [script, directory, url, jobs.ToString(System.Globalization.CultureInfo.InvariantCulture), concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture)], directory, TimeSpan.FromMinutes(10));
            var line = output.Split('\n').LastOrDefault(l => l.TrimStart().StartsWith('{'));
            if (line is null)
            {
                throw new InvalidOperationException($"graphile-worker drain printed no result (exit {code}): {output}");
            }

            using var json = JsonDocument.Parse(line);
            var r = json.RootElement;
            var succeeded = r.GetProperty("succeeded").GetInt32();
            var failed = r.GetProperty("failed").GetInt32();
            var left = r.GetProperty("left").GetInt32();
            return new RunResult(succeeded, TimeSpan.FromSeconds(r.GetProperty("seconds").GetDouble()), failed + left + (code == 0 ? 0 : 1), []);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(admin);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string[] arguments, string workingDirectory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"'{file}' did not start.");
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException($"'{file}' could not be started ({exception.Message}): install Node.js and npm (Debian: apt-get install nodejs npm).", exception);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cancel = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"'{file} {string.Join(' ', arguments)}' did not finish within {timeout}.");
            }

            return (process.ExitCode, (await stdout) + (await stderr));
        }
    }
}
