using System.Diagnostics;

namespace AgentOrchestration.Data.Tests.Sample;

/// <summary>Runs the built sample (samples/AgentOrchestration.Sample) as a user does, and captures what it prints.</summary>
public static class SampleProcess
{
    public sealed record Result(int ExitCode, string Output, string Error);

    /// <summary>Runs the sample until it prints a line matching <paramref name="last"/>, then stops it; returns what it printed.</summary>
    public static async Task<List<string>> WatchUntilAsync(TimeSpan timeout, Func<string, bool> last, params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        var lines = new List<string>();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(cts.Token) is { } line)
            {
                lines.Add(line);
                if (last(line))
                {
                    return lines;
                }
            }

            Assert.Fail($"The sample ended (exit code {process.ExitCode}) before printing the expected line:\n{string.Join('\n', lines)}\n{await process.StandardError.ReadToEndAsync()}");
            return lines;
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The sample did not print the expected line within {timeout}:\n{string.Join('\n', lines)}");
            return lines;
        }
        finally
        {
            process.Kill(entireProcessTree: true);
        }
    }

    public static async Task<Result> RunAsync(TimeSpan timeout, params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;

        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"The sample did not finish within {timeout}. Output so far:\n{await output}\n{await error}");
        }

        return new Result(process.ExitCode, await output, await error);
    }

    private static ProcessStartInfo StartInfo(string[] args)
    {
        // The sample is built beside the tests (same artifacts folder and configuration) by the solution build.
        var testsFolder = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = testsFolder.Name;
        var sample = Path.Combine(testsFolder.Parent!.Parent!.FullName, "AgentOrchestration.Sample", configuration, "AgentOrchestration.Sample.dll");
        Assert.That(File.Exists(sample), Is.True, $"The sample is built at {sample}: build the solution first.");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        start.ArgumentList.Add(sample);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }
}
