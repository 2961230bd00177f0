using System.Diagnostics;
using System.Text;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace AgentOrchestration.Data.Tests.WebDashboard;

/// <summary>
/// The built web dashboard (samples/AgentOrchestration.Dashboard) running as a real process on a free loopback port
/// (Kestrel picks it: <c>--urls http://127.0.0.1:0</c>), over a test database, as a user starts it.
/// </summary>
public sealed class DashboardProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output;
    private bool disposed;

    private DashboardProcess(Process process, StringBuilder output, Uri address)
    {
        this.process = process;
        this.output = output;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = Timeout.InfiniteTimeSpan };
    }

    public Uri Address { get; }

    public HttpClient Http { get; }

    /// <summary>What the dashboard printed so far (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public static string[] DatabaseArguments(TestDatabase database) => database.Provider == DatabaseProvider.Sqlite
        ? ["--db", new SqliteConnectionStringBuilder(database.ConnectionString).DataSource]
        : ["--provider", "postgres", "--connection", database.ConnectionString];

    /// <summary>Starts the dashboard on <paramref name="port"/> (0: a free one Kestrel picks).</summary>
    public static async Task<DashboardProcess> StartAsync(TestDatabase database, int port = 0)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        start.ArgumentList.Add(BuiltDll());
        foreach (var arg in DatabaseArguments(database).Concat(["--urls", $"http://127.0.0.1:{port}"]))
        {
            start.ArgumentList.Add(arg);
        }

        var output = new StringBuilder();
        var address = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        void Collect(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(line);
            }

            const string prefix = "Dashboard: ";
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                address.TrySetResult(new Uri(line[prefix.Length..]));
            }
        }

        process.OutputDataReceived += (_, e) => Collect(e.Data);
        process.ErrorDataReceived += (_, e) => Collect(e.Data);
        process.Exited += (_, _) => address.TrySetException(new InvalidOperationException("The dashboard exited before it listened."));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var uri = await address.Task.WaitAsync(TimeSpan.FromMinutes(1));
            var dashboard = new DashboardProcess(process, output, uri);
            await dashboard.WaitReadyAsync();
            return dashboard;
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"The dashboard did not start: {e.Message}\n{output}");
            throw;
        }
    }

    /// <summary>A loopback port nothing listens on now.</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Stops the dashboard (as a crash would: killed); safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        Http.Dispose();
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private async Task WaitReadyAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (true)
        {
            var status = await Http.GetStringAsync(new Uri("/api/status", UriKind.Relative), timeout.Token);
            if (status.Contains("\"ready\":true", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    private static string BuiltDll()
    {
        // Built beside the tests (same artifacts folder and configuration) by the solution build, like the console sample.
        var testsFolder = new DirectoryInfo(AppContext.BaseDirectory);
        var dll = Path.Combine(testsFolder.Parent!.Parent!.FullName, "AgentOrchestration.Dashboard", testsFolder.Name, "AgentOrchestration.Dashboard.dll");
        Assert.That(File.Exists(dll), Is.True, $"The dashboard is built at {dll}: build the solution first.");
        return dll;
    }
}
