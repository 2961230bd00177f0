using System.Diagnostics;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>
/// A child process of this test assembly (<see cref="ChildProcess.Main"/>) that the test talks to while it runs: reads
/// its output line by line, and kills it (SIGKILL on Unix, TerminateProcess on Windows) at a moment it announced.
/// </summary>
public sealed class LiveChild : IAsyncDisposable
{
    private readonly Process process;
    private readonly Task<string> error;

    private LiveChild(Process process)
    {
        this.process = process;
        error = process.StandardError.ReadToEndAsync();
    }

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    /// <summary>What the child wrote to its error output, once it has exited.</summary>
    public Task<string> ErrorAsync() => error;

    public static LiveChild Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new LiveChild(Process.Start(start)!);
    }

    /// <summary>Reads output lines until one starts with <paramref name="prefix"/> and returns it; fails if the child exits first or stays silent for 2 minutes.</summary>
    public async Task<string> WaitForAsync(string prefix)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var seen = new List<string>();
        try
        {
            while (await process.StandardOutput.ReadLineAsync(cts.Token) is { } line)
            {
                if (line.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return line;
                }

                seen.Add(line);
            }
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
        Assert.Fail($"The child process ended (exit {process.ExitCode}) or went silent before printing '{prefix}'. It printed:\n{string.Join('\n', seen)}\nIts errors:\n{await error}");
        return string.Empty;
    }

    /// <summary>Writes a line to the child's input.</summary>
    public async Task SendAsync(string line)
    {
        await process.StandardInput.WriteLineAsync(line);
        await process.StandardInput.FlushAsync();
    }

    /// <summary>Kills the child at once (no clean-up in it: SIGKILL) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    /// <summary>Waits for the child to exit by itself and returns its exit code and the rest of its output.</summary>
    public async Task<(int ExitCode, string Output, string Error)> ExitAsync()
    {
        var output = await process.StandardOutput.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, output, await error);
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            await KillAsync();
        }

        process.Dispose();
    }
}
