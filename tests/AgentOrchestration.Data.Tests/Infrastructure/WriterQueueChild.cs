using System.Globalization;
using AgentOrchestration.Data.Sqlite.Locking;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>
/// A process on SQLite's cross-process writer queue (<see cref="WriterQueue"/>) alone, no database work, writing what it
/// does to a log shared by every child (appended line by line): <c>enter PID TICKET</c> once its turn has come and
/// <c>leave PID TICKET</c> just before it passes the turn on.
/// <list type="bullet">
/// <item><c>writer-queue turns DATABASE LOG TOTAL</c>: prints <c>ready</c>, waits for <c>go</c>, then takes turns until the log
/// holds TOTAL turns; prints <c>done N</c> (its own turns).</item>
/// <item><c>writer-queue hold DATABASE LOG</c>: takes one turn, prints <c>holding</c> and keeps it until it reads
/// <c>release</c>; prints <c>released</c>.</item>
/// <item><c>writer-queue hold-unsignalled DATABASE LOG</c>: as <c>hold</c>, through a queue that takes no slot lock (as an
/// older library version, or another OS, does).</item>
/// <item><c>writer-queue wait DATABASE LOG</c>: takes a ticket, prints <c>queued</c>, and prints <c>turn POLLS WAKES SKIPS</c>
/// when its turn has come and gone: how many times it looked again after a timer, how many times the kernel woke it, and
/// how many tickets before it it skipped as dead, hung or leaked.</item>
/// <item><c>writer-queue cancel DATABASE LOG</c>: takes a ticket, prints <c>queued</c>, gives it up when it reads
/// <c>cancel</c> and prints <c>cancelled</c>.</item>
/// <item><c>writer-queue rate DATABASE MILLISECONDS</c>: prints <c>ready</c>, waits for <c>go</c>, then takes turns (a
/// little work in each) for that long; prints <c>done N p50 P p99 Q</c> (its turns, and its waits for them in ms). A probe
/// for measuring the hand-over by hand, not used by the tests.</item>
/// </list>
/// </summary>
public static class WriterQueueChild
{
    public static Task<int> RunAsync(string[] args) => args[0] switch
    {
        "turns" => TurnsAsync(WriterQueue.For(args[1])!, args[2], int.Parse(args[3], CultureInfo.InvariantCulture)),
        "hold" => HoldAsync(WriterQueue.For(args[1])!, args[2]),
        "hold-unsignalled" => HoldAsync(WriterQueue.Unsignalled(args[1])!, args[2]),
        "wait" => WaitAsync(WriterQueue.For(args[1])!, args[2]),
        "cancel" => CancelAsync(WriterQueue.For(args[1])!),
        "rate" => RateAsync(WriterQueue.For(args[1])!, int.Parse(args[2], CultureInfo.InvariantCulture)),
        _ => Task.FromResult(2),
    };

    /// <summary>The turns in a log: (enter or leave, process id, ticket), in the order they were written.</summary>
    public static IReadOnlyList<(string What, int Process, long Ticket)> Read(string log) =>
        [.. File.ReadAllLines(log).Select(l => l.Split(' ')).Select(p => (p[0], int.Parse(p[1], CultureInfo.InvariantCulture), long.Parse(p[2], CultureInfo.InvariantCulture)))];

    private static async Task<int> TurnsAsync(WriterQueue queue, string log, int total)
    {
        Console.WriteLine("ready");
        if (await Console.In.ReadLineAsync() != "go")
        {
            return 1;
        }

        var mine = 0;
        while (true)
        {
            using var turn = await queue.EnterAsync(CancellationToken.None);
            if (File.ReadLines(log).Count(l => l.StartsWith("enter", StringComparison.Ordinal)) >= total)
            {
                break;
            }

            Append(log, "enter", turn.Ticket);
            mine++;

            // A little work inside the turn, so the others are queued behind it when it passes the turn on.
            Thread.SpinWait(20_000);
            Append(log, "leave", turn.Ticket);
        }

        Console.WriteLine($"done {mine}");
        return 0;
    }

    private static async Task<int> RateAsync(WriterQueue queue, int milliseconds)
    {
        Console.WriteLine("ready");
        if (await Console.In.ReadLineAsync() != "go")
        {
            return 1;
        }

        var mine = 0;
        var until = Environment.TickCount64 + milliseconds;
        var waits = new List<double>();
        while (Environment.TickCount64 < until)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            using var turn = await queue.EnterAsync(CancellationToken.None);
            waits.Add(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            mine++;
            Thread.SpinWait(3_000);
        }

        waits.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done {mine} p50 {waits[waits.Count / 2]:N3} p99 {waits[waits.Count * 99 / 100]:N3}"));
        return 0;
    }

    private static async Task<int> HoldAsync(WriterQueue queue, string log)
    {
        var turn = await queue.EnterAsync(CancellationToken.None);
        Append(log, "enter", turn.Ticket);
        Console.WriteLine("holding");
        var line = await Console.In.ReadLineAsync();
        Append(log, "leave", turn.Ticket);
        turn.Dispose();
        Console.WriteLine("released");
        return line == "release" ? 0 : 1;
    }

    private static async Task<int> WaitAsync(WriterQueue queue, string log)
    {
        // The ticket is taken before EnterAsync first yields.
        var entering = queue.EnterAsync(CancellationToken.None);
        Console.WriteLine("queued");
        using var turn = await entering;
        Append(log, "enter", turn.Ticket);
        Append(log, "leave", turn.Ticket);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"turn {WriterQueue.Polls} {WriterQueue.Wakes} {WriterQueue.Skips}"));
        return 0;
    }

    private static async Task<int> CancelAsync(WriterQueue queue)
    {
        using var cancel = new CancellationTokenSource();
        var entering = queue.EnterAsync(cancel.Token);
        Console.WriteLine("queued");
        if (await Console.In.ReadLineAsync() != "cancel")
        {
            return 1;
        }

        await cancel.CancelAsync();
        try
        {
            (await entering).Dispose();
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine("cancelled");
            return 0;
        }
    }

    private static void Append(string log, string what, long ticket)
    {
        using var stream = new FileStream(log, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        stream.Write(System.Text.Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{what} {Environment.ProcessId} {ticket}\n")));
    }
}
