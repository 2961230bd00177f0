using System.Diagnostics;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>
/// The test assembly's entry point, so tests can run parts of the library in another OS process with another
/// configuration (<c>dotnet exec</c> on this assembly, e.g. with globalization invariant mode on). Strings cross the
/// process boundary as UTF-16 code units in hex, so unpaired surrogates and combining marks arrive exactly.
/// </summary>
public static class ChildProcess
{
    public sealed record Result(int ExitCode, string[] Lines, string Error);

    /// <summary>
    /// <c>normalize-lock-paths HEX...</c>: one line per path, <c>ok HEX</c> or <c>refused MESSAGE</c>.
    /// <c>acquire-exclusive sqlite|postgresql CONNECTION NOW SESSION HEX</c>: <c>acquired HEX</c> or the exception's type name.
    /// <c>crash ...</c>: see <see cref="CrashChild"/>; <c>soak ...</c>: see <see cref="SoakChild"/>; <c>writer-queue ...</c>: see <see cref="WriterQueueChild"/>.
    /// </summary>
    public static async Task<int> Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "normalize-lock-paths":
                Console.WriteLine($"can-compose {LockPath.CanCompose}");
                foreach (var path in args.Skip(1).Select(FromHex))
                {
                    Console.WriteLine(LockPath.TryNormalize(path, out var normalized, out var error) ? $"ok {ToHex(normalized)}" : $"refused {error}");
                }

                return 0;
            case "acquire-exclusive" when args.Length == 6:
                var services = new ServiceCollection();
                services.AddAgentOrchestration(o =>
                {
                    // The parent's fake clock decides expiries here too (on PostgreSQL the server's would otherwise).
                    o.UseClock(new FakeTimeProvider(DateTimeOffset.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture)));
                    if (args[1] == "sqlite")
                    {
                        o.UseSqlite(args[2]);
                    }
                    else
                    {
                        o.UsePostgreSql(args[2]);
                    }
                });
                await using (var provider = services.BuildServiceProvider())
                await using (var scope = provider.CreateAsyncScope())
                {
                    try
                    {
                        var granted = await scope.ServiceProvider.GetRequiredService<IFileLockService>()
                            .AcquireAsync(args[4], [FromHex(args[5])], FileLockType.Exclusive, TimeSpan.FromMinutes(10));
                        Console.WriteLine($"acquired {ToHex(granted.Single().Path)}");
                    }
                    catch (Exception e) when (e is ArgumentException or AgentOrchestrationException)
                    {
                        Console.WriteLine(e.GetType().Name);
                    }
                }

                return 0;
            case "crash":
                return await CrashChild.RunAsync(args[1..]);
            case "soak":
                return await SoakChild.RunAsync(args[1..]);
            case "writer-queue":
                return await WriterQueueChild.RunAsync(args[1..]);
            default:
                await Console.Error.WriteLineAsync($"Unknown command: {string.Join(' ', args)}");
                return 2;
        }
    }

    /// <summary>Runs this assembly's <see cref="Main"/> in a new process, with <paramref name="environment"/> set, and returns what it printed.</summary>
    public static async Task<Result> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"The child process did not finish within 2 minutes. Output so far:\n{await output}\n{await error}");
        }

        return new Result(process.ExitCode, (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries), await error);
    }

    public static string ToHex(string value) => string.Concat(value.Select(c => ((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture)));

    public static string FromHex(string hex) =>
        new([.. Enumerable.Range(0, hex.Length / 4).Select(i => (char)Convert.ToInt32(hex.Substring(i * 4, 4), 16))]);
}
